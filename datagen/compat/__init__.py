"""Other projects' data formats, in and out of the SafeRec sample schema.

:mod:`datagen.compat.safecrs` reads the SafeCRS reference's released rows (``prompt``,
``completion``, ``seen_titles``, ``groundtruth_with_release_year``, ``constraints``,
``assigned_trait``, ``assignment_reason``) as seeds and as benchmark samples; the way out is
the ``safecrs`` export config (:mod:`exports.safecrs`).
"""

from datagen.compat.safecrs import (
    ImportReport,
    SafeCRSRow,
    import_safecrs,
    iter_safecrs_rows,
    seed_fields,
    write_import,
)

__all__ = [
    "ImportReport",
    "SafeCRSRow",
    "import_safecrs",
    "iter_safecrs_rows",
    "seed_fields",
    "write_import",
]
