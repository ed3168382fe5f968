# -*- test-case-name: tests.test_s3_limits -*-
"""
Tests for L{twisted_ftps3.s3.limits}: the one way an object is cut into
UploadPartCopy ranges, at S3's boundaries.
"""

from __future__ import annotations

from twisted.trial.unittest import SynchronousTestCase

from twisted_ftps3.s3.limits import (
    COPY_PART_SIZE,
    MAX_OBJECT_SIZE,
    MAX_PART_SIZE,
    MAX_PARTS,
    MAX_SINGLE_COPY,
    MIN_PART_SIZE,
    copy_ranges,
)


class CopyRangesTests(SynchronousTestCase):
    """
    L{copy_ranges} cuts a size into contiguous ranges within S3's part
    limits, of even size, so that none is too small to be followed by more.
    """

    def assertValidRanges(self, size: int, ranges: list[tuple[int, int]]) -> None:
        """
        C{ranges} cover bytes 0 to C{size - 1} exactly once, in order, in at
        most 10,000 parts, each from 5 MiB (but a lone one) to 5 GiB.
        """
        self.assertEqual(ranges[0][0], 0)
        self.assertEqual(ranges[-1][1], size - 1)
        for (_, last), (first, _) in zip(ranges, ranges[1:], strict=False):
            self.assertEqual(last + 1, first)
        self.assertLessEqual(len(ranges), MAX_PARTS)
        lengths = [last - first + 1 for first, last in ranges]
        self.assertLessEqual(max(lengths), MAX_PART_SIZE)
        if len(ranges) > 1:
            self.assertGreaterEqual(min(lengths), MIN_PART_SIZE)

    def test_onePartUpToCopyPartSize(self) -> None:
        """
        From the 5 MiB minimum up to the copy part size, the object is one range.
        """
        self.assertEqual(copy_ranges(MIN_PART_SIZE), [(0, MIN_PART_SIZE - 1)])
        self.assertEqual(copy_ranges(COPY_PART_SIZE), [(0, COPY_PART_SIZE - 1)])

    def test_nothing(self) -> None:
        """
        No bytes need no range.
        """
        self.assertEqual(copy_ranges(0), [])

    def test_exactlyLargestSingleCopy(self) -> None:
        """
        Exactly 5 GiB is ten ranges of the copy part size.
        """
        ranges = copy_ranges(MAX_SINGLE_COPY)
        self.assertValidRanges(MAX_SINGLE_COPY, ranges)
        self.assertEqual({last - first + 1 for first, last in ranges}, {COPY_PART_SIZE})
        self.assertEqual(len(ranges), MAX_SINGLE_COPY // COPY_PART_SIZE)

    def test_justAboveLargestSingleCopy(self) -> None:
        """
        5 GiB and one byte is one range more, all of nearly even size: the
        last byte does not become a range of its own, which S3 would refuse
        as too small when an append's parts follow it.
        """
        size = MAX_SINGLE_COPY + 1
        ranges = copy_ranges(size)
        self.assertValidRanges(size, ranges)
        lengths = [last - first + 1 for first, last in ranges]
        self.assertEqual(len(ranges), MAX_SINGLE_COPY // COPY_PART_SIZE + 1)
        self.assertLessEqual(max(lengths) - min(lengths), len(ranges))

    def test_justAboveCopyPartSize(self) -> None:
        """
        One byte above the copy part size is two even ranges, not one of
        512 MiB and one of a byte.
        """
        ranges = copy_ranges(COPY_PART_SIZE + 1)
        self.assertValidRanges(COPY_PART_SIZE + 1, ranges)
        lengths = [last - first + 1 for first, last in ranges]
        self.assertEqual(lengths, [COPY_PART_SIZE // 2 + 1, COPY_PART_SIZE // 2])

    def test_largeObjects(self) -> None:
        """
        Sizes that are no multiple of anything are covered all the same.
        """
        for size in (3 * MAX_PART_SIZE - 7, 10 * MAX_PART_SIZE + 12345):
            self.assertValidRanges(size, copy_ranges(size))

    def test_largestObject(self) -> None:
        """
        S3's largest object, 5 TiB, fits in 10,000 parts: there the ranges
        grow past the copy part size rather than exceed the part count.
        """
        ranges = copy_ranges(MAX_OBJECT_SIZE)
        self.assertValidRanges(MAX_OBJECT_SIZE, ranges)
        self.assertGreater(ranges[0][1] + 1, COPY_PART_SIZE)

    def test_partCountBoundary(self) -> None:
        """
        Up to 10,000 ranges of the copy part size, that size is kept; one
        byte more makes the ranges larger, not more numerous.
        """
        size = MAX_PARTS * COPY_PART_SIZE
        self.assertEqual(len(copy_ranges(size)), MAX_PARTS)
        self.assertEqual(copy_ranges(size)[0], (0, COPY_PART_SIZE - 1))
        ranges = copy_ranges(size + 1)
        self.assertValidRanges(size + 1, ranges)
        self.assertEqual(len(ranges), MAX_PARTS)

    def test_tooLarge(self) -> None:
        """
        More than 10,000 parts of 5 GiB can hold cannot be copied.
        """
        self.assertRaises(ValueError, copy_ranges, MAX_PARTS * MAX_PART_SIZE + 1)
