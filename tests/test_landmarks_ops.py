"""Known answers for the landmark models' pre/post-processing (no model files needed)."""

import math

import numpy as np
import pytest

from robosmplx.landmarks import ops
from robosmplx.landmarks.ops import Roi


def test_anchor_counts_match_the_models_heads():
    # pose detector (2254 boxes), palm detector (2016), full-range face detector (2304)
    assert len(ops.ssd_anchors(224, (8, 16, 32, 32, 32))) == 2254
    assert len(ops.ssd_anchors(192, (8, 16, 16, 16))) == 2016
    assert len(ops.ssd_anchors(192, (4,), interpolated=False)) == 2304


def test_anchor_order_and_centres():
    a = ops.ssd_anchors(16, (8,))  # 2x2 cells, 2 anchors per cell, row-major
    expected = [[0.25, 0.25]] * 2 + [[0.75, 0.25]] * 2 + [[0.25, 0.75]] * 2 + [[0.75, 0.75]] * 2
    np.testing.assert_allclose(a, expected)


def test_decode_offsets_from_anchor_centres():
    anchors = np.array([[0.5, 0.5], [0.25, 0.75]])
    raw = np.array([[2.0, -4.0, 10.0, 20.0, 1.0, 1.0], [0.0, 0.0, 4.0, 4.0, -1.0, 3.0]])
    scores = np.array([3.0, -3.0])
    boxes, kps, s = ops.decode_detections(raw, scores, anchors, 100, 1, 0.5)
    assert len(s) == 1 and s[0] == pytest.approx(1 / (1 + math.exp(-3)))
    np.testing.assert_allclose(boxes[0], [47.0, 36.0, 57.0, 56.0])
    np.testing.assert_allclose(kps[0], [[51.0, 51.0]])


def test_weighted_nms_averages_the_suppressed_boxes():
    boxes = np.array([[0, 0, 10, 10], [1, 0, 11, 10], [50, 50, 60, 60]], float)
    kps = boxes[:, None, :2].copy()
    scores = np.array([0.9, 0.3, 0.8])
    out = ops.weighted_nms(boxes, kps, scores, 0.3)
    assert [o[2] for o in out] == [0.9, 0.8]
    np.testing.assert_allclose(out[0][0], [0.25, 0, 10.25, 10])  # (0.9*0 + 0.3*1) / 1.2
    np.testing.assert_allclose(out[1][0], [50, 50, 60, 60])


def test_rotation_points_the_vector_to_the_target():
    # hip centre -> full-body point straight up in the image: already upright (90 degrees)
    assert ops.rotation_from((0, 0), (0, -1), 90) == pytest.approx(0)
    # pointing right: the ROI must turn by +90 degrees
    assert ops.rotation_from((0, 0), (1, 0), 90) == pytest.approx(math.pi / 2)
    assert abs(ops.normalize_radians(3 * math.pi)) == pytest.approx(math.pi)


def test_roi_affine_maps_corners_and_inverts():
    roi = Roi(50.0, 40.0, 20.0, 20.0, math.radians(30))
    m = ops.roi_to_tensor_matrix(roi, 256, 256)
    np.testing.assert_allclose(
        ops.apply_affine(m, roi.corners()), [[0, 0], [256, 0], [256, 256], [0, 256]], atol=1e-9
    )
    p = np.array([[3.0, 7.0], [100.0, -20.0]])
    np.testing.assert_allclose(ops.apply_affine(ops.invert_affine(m), ops.apply_affine(m, p)), p)


def test_transform_roi_shift_follows_rotation_then_square_and_scale():
    roi = Roi(10.0, 10.0, 4.0, 2.0, math.pi / 2)
    out = ops.transform_roi(roi, 2.0, 2.0, shift_y=-0.5)
    # shift of half the height along the ROI's own y axis, which points to the image's -x
    assert (out.cx, out.cy) == pytest.approx((11.0, 10.0))
    assert (out.w, out.h) == pytest.approx((8.0, 8.0))


def test_points_roi_is_tight_in_the_rotated_frame():
    pts = np.array([[0, 0], [2, 2], [1, 3], [-1, 1]], float)  # a 45-degree rectangle
    roi = ops.points_roi(pts, math.pi / 4)
    assert (roi.w, roi.h) == pytest.approx((math.sqrt(8), math.sqrt(2)))
    assert (roi.cx, roi.cy) == pytest.approx((0.5, 1.5))


def test_crop_tensor_letterboxes_and_scales_values():
    image = np.full((10, 20, 3), 255, np.uint8)
    tensor, m = ops.crop_tensor(image, Roi(10, 5, 20, 10), 8, 8, (-1.0, 1.0), border_zero=True)
    assert tensor.shape == (1, 8, 8, 3) and tensor.dtype == np.float32
    assert tensor[0, 0, 4, 0] == -1.0 and tensor[0, 4, 4, 0] == pytest.approx(1.0)
    np.testing.assert_allclose(ops.apply_affine(m, [[0, 0], [20, 10]]), [[0, 2], [8, 6]])


def test_heatmap_refinement_moves_to_the_weighted_cell():
    from robosmplx.landmarks.runners import refine_from_heatmap

    hm = np.full((8, 8, 2), -20.0)
    hm[3, 5, 0] = 20.0  # a sharp peak: landmark 0 goes to cell (5, 3) / 8
    xy = np.array([[0.6, 0.45], [0.5, 0.5]])
    out = refine_from_heatmap(xy, hm, kernel=3)
    np.testing.assert_allclose(out[0], [5 / 8, 3 / 8], atol=1e-6)
    np.testing.assert_allclose(out[1], xy[1])  # no confident cell: unchanged
