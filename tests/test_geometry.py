import math

import torch

from robosmplx.geometry import boxes, camera, procrustes, rotations


def test_rotation_round_trips():
    aa = torch.randn(64, 3)
    aa = aa / aa.norm(dim=-1, keepdim=True) * torch.rand(64, 1) * 3.0
    m = rotations.axis_angle_to_matrix(aa)
    assert torch.allclose(rotations.matrix_to_axis_angle(m), aa, atol=1e-4)
    assert torch.allclose(rotations.rot6d_to_matrix(rotations.matrix_to_rot6d(m)), m, atol=1e-5)
    r = rotations.rot6d_to_matrix(torch.randn(64, 6))
    assert torch.allclose(r @ r.transpose(1, 2), torch.eye(3).expand(64, 3, 3), atol=1e-5)
    assert torch.allclose(torch.linalg.det(r), torch.ones(64), atol=1e-5)


def test_geodesic_and_mirror():
    a = rotations.axis_angle_to_matrix(torch.tensor([[0.0, 0.0, 0.3]]))
    b = rotations.axis_angle_to_matrix(torch.tensor([[0.0, 0.0, 1.0]]))
    assert torch.allclose(rotations.geodesic_distance(a, b), torch.tensor([0.7]), atol=1e-4)
    aa = torch.randn(10, 3)
    m1 = rotations.mirror_rotation(rotations.axis_angle_to_matrix(aa))
    m2 = rotations.axis_angle_to_matrix(rotations.mirror_axis_angle(aa))
    assert torch.allclose(m1, m2, atol=1e-5)


def test_procrustes_recovers_similarity():
    src = torch.randn(4, 30, 3)
    r = rotations.axis_angle_to_matrix(torch.randn(4, 3))
    s = torch.rand(4) + 0.5
    t = torch.randn(4, 3)
    dst = s[:, None, None] * src @ r.transpose(1, 2) + t[:, None]
    s2, r2, t2 = procrustes.similarity_transform(src, dst)
    assert torch.allclose(s2, s, atol=1e-4)
    assert torch.allclose(r2, r, atol=1e-4)
    assert torch.allclose(t2, t, atol=1e-4)
    assert torch.allclose(procrustes.procrustes_align(src, dst), dst, atol=1e-4)


def test_projection_and_crop_intrinsics():
    pts = torch.tensor([[[0.1, -0.2, 3.0], [0.0, 0.0, 2.0]]])
    k = camera.intrinsics(torch.tensor([1000.0]), torch.tensor([[320.0, 240.0]]))
    uv = camera.project(pts, k)
    assert torch.allclose(uv[0, 0], torch.tensor([320 + 1000 * 0.1 / 3, 240 - 1000 * 0.2 / 3]))
    back = camera.unproject(uv, pts[..., 2], k)
    assert torch.allclose(back, pts, atol=1e-5)
    # a crop camera maps to full-image intrinsics that see the same pixels
    box = torch.tensor([[100.0, 50.0, 200.0, 200.0]])
    kc = camera.crop_intrinsics(5000.0, 256, 1)
    kf = camera.crop_to_full_intrinsics(kc, box, 256)
    uv_c = camera.project(pts, kc)
    uv_f = camera.project(pts, kf)
    scale = 200.0 / 256
    assert torch.allclose(uv_f, box[:, None, :2] + (uv_c + 0.5) * scale - 0.5, atol=1e-3)


def test_weak_perspective_matches_translation():
    cam = torch.tensor([[0.9, 0.05, -0.1]])
    t = camera.weak_to_translation(cam, 5000.0, 256)
    assert torch.allclose(camera.translation_to_weak(t, 5000.0, 256), cam, atol=1e-6)
    pts = torch.randn(1, 5, 3) * 0.01  # tiny depth range: weak ~ full perspective
    k = camera.crop_intrinsics(5000.0, 256, 1)
    uv = camera.project(pts + t[:, None], k)
    ndc = camera.weak_perspective_project(pts, cam)
    assert torch.allclose((uv - 127.5) / 128.0, ndc, atol=1e-3)


def test_boxes():
    kp = torch.tensor([[[10.0, 20.0], [30.0, 60.0], [1000.0, 1000.0]]])
    valid = torch.tensor([[True, True, False]])
    b = boxes.box_from_keypoints(kp, valid, scale=1.0, aspect=None)
    assert torch.allclose(b, torch.tensor([[10.0, 20.0, 20.0, 40.0]]))
    b2 = boxes.box_from_keypoints(kp, valid, scale=2.0, aspect=1.0)
    assert torch.allclose(b2, torch.tensor([[-20.0, 0.0, 80.0, 80.0]]))
    assert boxes.keypoints_in_box(kp[:, :2], b2).all()
    a = torch.tensor([0.0, 0.0, 2.0, 2.0])
    c = torch.tensor([1.0, 1.0, 2.0, 2.0])
    assert math.isclose(float(boxes.box_iou(a, c)), 1 / 7, rel_tol=1e-6)
    assert float(boxes.box_iou(a, a)) == 1.0
