"""Argilla human-verification loop: push, pull, agreement, merge, local server.

Stages as functions (the CLI in ``datagen/cli/annotate.py`` only composes them):

* :func:`annotation.client.connect` - an SDK client; transport / auth failures become
  one-line errors (:mod:`annotation.errors`);
* :func:`annotation.push.push_samples` - samples -> dataset, idempotent and resumable; the
  traits question is blind unless ``suggest_traits``;
* :func:`annotation.pull.pull_to_parquet` - responses -> agreement, verdicts,
  ``Sample.human`` in the Parquet and a JSON + markdown report;
* :func:`annotation.inferability.inferability_report` - human vs judge inferability per
  trait, cue strategy and variant, with intervals (:mod:`annotation.intervals`);
* :func:`annotation.agreement.krippendorff_alpha` / :func:`percent_agreement`;
* :func:`annotation.merge.decide` - the acceptance rule for one record;
* :class:`annotation.server.LocalArgillaStack` - redis + noida-db + argilla-server + worker,
  stopped on any exit path (:mod:`annotation.lifecycle`), secrets and the search-engine
  compat patch handled by :mod:`annotation.argilla_launch`.

The Argilla SDK is imported inside functions only, so importing this package is cheap.
"""

from annotation.agreement import krippendorff_alpha, percent_agreement
from annotation.client import connect
from annotation.inferability import InferabilityReport, inferability_report
from annotation.merge import RecordVerdict, Vote, decide, merge_verdicts
from annotation.pull import PullResult, pull_to_parquet, pull_verdicts
from annotation.push import PushResult, push_samples
from annotation.server import LocalArgillaStack

__all__ = [
    "InferabilityReport",
    "LocalArgillaStack",
    "PullResult",
    "PushResult",
    "RecordVerdict",
    "Vote",
    "connect",
    "decide",
    "inferability_report",
    "krippendorff_alpha",
    "merge_verdicts",
    "percent_agreement",
    "pull_to_parquet",
    "pull_verdicts",
    "push_samples",
]
