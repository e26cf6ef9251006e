"""The wheel builds offline without a single setuptools warning, and holds every module of
cmbot/ and plugins/ (as ``cmbot_plugins``), every data file of cmbot/data and the licence
files. A package folder left out of pyproject.toml's list fails here."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from email.parser import HeaderParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# What pyproject.toml needs to build; copied so the build leaves nothing in the checkout.
SOURCES = ("pyproject.toml", "README.md", "LICENSE", "cmbot", "plugins")
INSTALLED_AS = {"cmbot": "cmbot", "plugins": "cmbot_plugins"}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """Build the wheel from a copy of the sources: (the wheel, pip's whole output)."""
    tmp = tmp_path_factory.mktemp("wheel")
    src, out = tmp / "src", tmp / "dist"
    src.mkdir()
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(path, src / name)
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--no-index", "--no-cache-dir", "--disable-pip-version-check", "-w", str(out),
         str(src)],
        capture_output=True, text=True, timeout=300, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    wheels = list(out.glob("cmbot-*.whl"))
    assert len(wheels) == 1, output
    return wheels[0], output


def test_the_wheel_builds_without_warnings(built: tuple[Path, str]) -> None:
    _, output = built
    noisy = [line for line in output.splitlines()
             if "warning" in line.lower() or "deprecat" in line.lower()]
    assert noisy == [], output


def _names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def test_the_wheel_holds_every_data_file(built: tuple[Path, str]) -> None:
    wheel, _ = built
    data = sorted(p for p in (ROOT / "cmbot" / "data").iterdir() if p.is_file())
    assert {p.name for p in data} >= {"minilm-faq-int8.onnx", "minilm-tokenizer.json",
                                      "toxicity_model.npz", "faq_offtopic.txt", "NOTICE.md"}
    names = _names(wheel)
    assert [f"cmbot/data/{p.name}" for p in data if f"cmbot/data/{p.name}" not in names] == []
    with zipfile.ZipFile(wheel) as archive:
        model = archive.getinfo("cmbot/data/minilm-faq-int8.onnx")
    assert model.file_size == (ROOT / "cmbot/data/minilm-faq-int8.onnx").stat().st_size


def test_the_wheel_holds_every_module_under_its_installed_name(
        built: tuple[Path, str]) -> None:
    wheel, _ = built
    names = _names(wheel)
    expected = []
    for folder, package in INSTALLED_AS.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "__pycache__" not in path.parts:
                expected.append(f"{package}/{path.relative_to(ROOT / folder).as_posix()}")
    assert "cmbot_plugins/faq/matching.py" in expected
    assert [name for name in expected if name not in names] == []
    # nothing under its source name, and no tests or scripts
    assert [n for n in names if n.split("/")[0] in {"plugins", "tests", "scripts", "bench"}] \
        == []


def test_the_wheel_metadata_has_an_spdx_licence_and_the_entry_points(
        built: tuple[Path, str]) -> None:
    wheel, _ = built
    with zipfile.ZipFile(wheel) as archive:
        info = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        dist_info = info.rsplit("/", 1)[0]
        metadata = HeaderParser().parsestr(archive.read(info).decode())
        entry_points = archive.read(f"{dist_info}/entry_points.txt").decode()
        names = set(archive.namelist())
    assert metadata["License-Expression"] == "MIT"
    assert metadata["License"] is None  # the deprecated free-text field is gone
    assert sorted(metadata.get_all("License-File") or []) == ["LICENSE", "cmbot/data/NOTICE.md"]
    assert f"{dist_info}/licenses/LICENSE" in names
    assert f"{dist_info}/licenses/cmbot/data/NOTICE.md" in names
    assert "cmbot = cmbot.cli:main" in entry_points
    assert "cmbot = cmbot.testing" in entry_points
