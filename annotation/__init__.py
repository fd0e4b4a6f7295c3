"""Argilla human-verification loop: push, pull, agreement, merge, local server.

Stages as functions (the CLI in ``datagen/cli/annotate.py`` only composes them):

* :func:`annotation.client.connect` - an SDK client; transport / auth failures become
  one-line errors (:mod:`annotation.errors`);
* :func:`annotation.push.push_samples` - samples -> dataset, idempotent and resumable;
* :func:`annotation.pull.pull_to_parquet` - responses -> agreement, verdicts,
  ``Sample.human`` in the Parquet and a JSON + markdown report;
* :func:`annotation.agreement.krippendorff_alpha` / :func:`percent_agreement`;
* :func:`annotation.merge.decide` - the acceptance rule for one record;
* :class:`annotation.server.LocalArgillaStack` - redis + noida-db + argilla-server + worker.

The Argilla SDK is imported inside functions only, so importing this package is cheap.
"""

from annotation.agreement import krippendorff_alpha, percent_agreement
from annotation.client import connect
from annotation.merge import RecordVerdict, Vote, decide, merge_verdicts
from annotation.pull import PullResult, pull_to_parquet, pull_verdicts
from annotation.push import PushResult, push_samples
from annotation.server import LocalArgillaStack

__all__ = [
    "LocalArgillaStack",
    "PullResult",
    "PushResult",
    "RecordVerdict",
    "Vote",
    "connect",
    "decide",
    "krippendorff_alpha",
    "merge_verdicts",
    "percent_agreement",
    "pull_to_parquet",
    "pull_verdicts",
    "push_samples",
]
