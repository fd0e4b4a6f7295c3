"""Dedup and grouped, stratified, leak-checked train/validation/test splits of samples."""

from datagen.splits.grouping import CONTROL, trait_key
from datagen.splits.guard import SplitTooSmallError, size_problems
from datagen.splits.leaks import LeakReport, SplitLeakError, leak_report
from datagen.splits.minhash import MinHashConfig, minhash_signatures, near_duplicate_pairs
from datagen.splits.split import SPLIT_NAMES, SplitConfig, SplitResult, split_samples
from datagen.splits.store import read_split, split_paths, write_split_result

__all__ = [
    "CONTROL",
    "SPLIT_NAMES",
    "LeakReport",
    "MinHashConfig",
    "SplitConfig",
    "SplitLeakError",
    "SplitResult",
    "SplitTooSmallError",
    "leak_report",
    "minhash_signatures",
    "near_duplicate_pairs",
    "read_split",
    "size_problems",
    "split_paths",
    "split_samples",
    "trait_key",
    "write_split_result",
]
