"""`spinefea mesh`: writes the mesh (VTU with region ids), a picture that is not blank, and a
report with counts, body volumes and interfaces; bad input is an error naming the file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from fea.cli import main

ROOT = Path(__file__).resolve().parents[1]


def test_mesh_command_writes_vtu_png_and_report(tmp_path, capsys):
    import meshio
    from PIL import Image

    out = tmp_path / "out"
    rc = main(["mesh", str(ROOT / "models/examples/intact_boxes.toml"), "--size", "8",
               "--order", "1",
               "--out", str(out), "--cache", str(tmp_path / "cache")])
    assert rc == 0
    report = json.loads((out / "mesh_report.json").read_text())
    assert report["elements"] > 1000 and report["dofs"] == 3 * report["nodes"]
    assert set(report["body_volume_mm3"]) >= {"C1", "C2", "C3", "disc_C2C3"}
    assert report["body_volume_mm3"]["C3"] > 5000
    assert {i["name"] for i in report["interfaces"]} == {
        "facet_C1C2_L", "facet_C1C2_R", "facet_C2C3_L", "facet_C2C3_R"}
    assert all(i["slave_faces"] > 0 and i["master_faces"] > 0 for i in report["interfaces"])
    vtu = meshio.read(out / "mesh.vtu")
    region = vtu.cell_data["region"][0]
    assert len(region) == report["elements"] and region.min() == 0
    assert region.max() == len(report["regions"]) - 1
    img = np.asarray(Image.open(out / "mesh.png").convert("L"), float)
    assert img.shape == (1000, 1400) and img.std() > 10  # not blank
    printed = capsys.readouterr().out
    assert "DOF" in printed and "facet_C1C2_L" in printed
    # second run: served by the cache
    assert main(["mesh", str(ROOT / "models/examples/intact_boxes.toml"), "--size", "8",
                 "--order", "1",
                 "--out", str(out), "--cache", str(tmp_path / "cache"), "--no-picture"]) == 0
    assert json.loads((out / "mesh_report.json").read_text())["cache"]["hits"] == 1


def test_mesh_command_unknown_variant_is_an_error(tmp_path, capsys):
    rc = main(["mesh", str(ROOT / "models/examples/c2_avb_boxes.toml"), "--variant", "nope",
               "--out", str(tmp_path)])
    assert rc == 1
    err = capsys.readouterr().err
    assert "c2_avb_boxes.toml" in err and "no variant 'nope'" in err and "no_rods" in err
