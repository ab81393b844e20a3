"""Thresholds of the interface and strength metrics: every one a parameter with a sourced default.

The defaults are the usual literature values from ../shared/REFERENCES.md; they are presented to
users as defaults they can change (`Thresholds(...)` or a study's `[thresholds]`), never as truths.
The report prints `Thresholds.table()` so each number is shown beside its source.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from ..errors import ConfigError
from ..geometry.clearance import CLEARANCE_FLAG_MM

# Bone regions by their compressive yield (MPa) for the subsidence ratio: name -> (value, source).
BONE_YIELD_MPa: dict[str, tuple[float, str]] = {
    "cancellous": (1.9, ("vertebral cancellous bone, Kopperdahl & Keaveny 1998 J Biomech 31:601; "
                        "Morgan & Keaveny 2001")),
    "endplate": (36.7, ("bony endplate, elastic-plastic Medical College of Wisconsin cervical "
                       "model")),
    # Not in REFERENCES.md yet: compact bone loaded across its long axis (contact pressure on a
    # cortical shell acts transversely). Femoral cortical bone, ultimate compressive strength
    # transverse 133 MPa (longitudinal 193 MPa), Reilly & Burstein 1975 J Biomech 8:393. The thin
    # C1-C3 shell (~0.5 mm) is likely weaker: lower it when a cervical value is available.
    "cortical": (133.0, ("cortical bone, transverse compressive strength, Reilly & Burstein 1975 "
                        "J Biomech 8:393 (femoral; lit.)")),
}

# An implant bearing on a bone's thin shell (cortical wall or bony endplate) over a cancellous
# core, e.g. an AVB on C3's superior endplate: which strength judges the contact pressure.
#   "endplate" (default): the bony endplate's (36.7 MPa above); the contact patch's mean pressure
#       is also compared with the core's yield (cancellous 1.9 MPa), the bone beneath
#   "core": the cancellous core's yield for the pressure itself (the most conservative)
#   "shell": the shell material's own (compact bone 133 MPa: never reached by an implant on a
#       0.5-1 mm shell, so every design rated 'low'; issue 19)
# Why not a measured endplate indentation strength: the cervical indentation data found are
# loads, not stresses (yield 139 +- 99 N, Ordway et al. 2007 Eur Spine J 16:2104; failure under
# a 9 mm flat indenter, Truumees et al. 2003 Spine 28:2204, loads not in the text found), and the
# regional pattern (posterolateral strongest, centre weakest: Lowe et al. 2004 Spine 29:2389;
# Grant et al. 2001 Spine 26:889) has no values per region in MPa, so no regional factor is
# applied. The C1 lateral mass's cortical surface is treated as an endplate for want of C1 data.
SHELL_BEARING = ("endplate", "core", "shell")
SHELL_BEARING_SOURCE = {
    "endplate": ("bony endplate 36.7 MPa (MCW cervical model, REFERENCES.md); patch mean vs "
                 "cancellous core 1.9 MPa (Kopperdahl & Keaveny 1998); cervical endplate "
                 "indentation data are loads, not stresses (Ordway et al. 2007; Truumees et al. "
                 "2003)"),
    "core": "cancellous core under the shell (Kopperdahl & Keaveny 1998)",
    "shell": "the shell's own material"}

# The bone region of each bone material of fea.materials.LIBRARY: the subsidence check uses the
# yield of the material the implant bears on, never a guess from a cell-set or face-set name.
LIBRARY_BONE_REGION = {"cortical_bone": "cortical", "cancellous_bone": "cancellous",
                       "bony_endplate": "endplate", "posterior_elements": "cortical"}

# Bone apposition: in human cancellous bone around porous-coated titanium, bone did not grow into
# the coating where it was more than 50 µm away from it (Bloebaum, Bachus, Momberger & Hofmann
# 1994 J Biomed Mater Res 28:537, "Mineral apposition rates of human cancellous bone at the
# interface of porous coated implants"); gaps of 1 mm and more clearly impair osseointegration
# (rabbit, HA-coated plates: BMC Musculoskelet Disord 2023, doi 10.1186/s12891-023-06215-1).
BONE_APPOSITION_UM = (50.0, "Bloebaum et al. 1994 J Biomed Mater Res 28:537 (no ingrowth where "
                            "bone was > 50 µm from a porous coating)")


# Screw safety: clearance (mm) to the canal and the transverse foramina below which a screw is
# flagged, with its source (fea.geometry.clearance, docs/screw_safety.md)
SCREW_CLEARANCE_MM = CLEARANCE_FLAG_MM

# An implant's whole footprint (fea.metrics.bearing): 'moderate' (borderline) from this fraction of
# the cancellous core's yield. Elderly human vertebral trabecular bone failed in cyclic
# compression at applied stress over initial modulus from 0.0026 to 0.0070 (Haddock, Yeh,
# Mummaneni, Rosenberg & Keaveny 2004 J Biomech 37:181); its monotonic yield strain is 0.77-0.84 %
# (Kopperdahl & Keaveny 1998 J Biomech 31:601; Morgan & Keaveny 2001): the lowest stress that
# failed in cycles is 0.0026 / 0.0084 = 0.31 of yield. A neck loads its bearings millions of
# times, so a mean pressure over that fraction is not safe only because it is below yield.
BEARING_CYCLIC_FRACTION = (round(0.0026 / 0.0084, 2),
                           "lowest cyclic-failure stress of human vertebral trabecular bone, "
                           "sigma / E0 0.0026 (Haddock et al. 2004 J Biomech 37:181), over its "
                           "yield strain 0.84 % (Kopperdahl & Keaveny 1998; Morgan & Keaveny 2001)")

# Stability verdict: ROM reduction (%) of an instrumented C1-C2 against the intact spine. In an
# upper-cervical FE model (intact, 1.5 Nm) the two rigid screw constructs reduced C1-C2 ROM by
# at least 95 % in every direction (C1-C2 transarticular 99 / 100 / 99 %, C1 lateral mass-C2
# pedicle 98 / 95 / 98 % in flexion-extension / lateral bending / axial rotation) and the
# C1 lateral mass-C2 translaminar construct by 98 / 75 / 99 %, its lateral bending judged less
# stable (Erbulut, Mumtaz, Zafarparandeh & Ozer 2022 Asian Spine J 16:831, doi
# 10.31616/asj.2021.0270). Pass: as rigid as the rigid constructs; fail: less than the least rigid
# published direction. No study found states a cut-off, so both are anchored, not measured ones.
ROM_REDUCTION_PASS = (95.0, "smallest reduction of the rigid C1-C2 screw constructs in any "
                            "direction (transarticular; C1 lateral mass-C2 pedicle: 95 % lateral "
                            "bending), Erbulut et al. 2022 Asian Spine J 16:831 (FE)")
ROM_REDUCTION_FAIL = (75.0, "project default anchored on the least rigid published direction "
                            "(C1 lateral mass-C2 translaminar, lateral bending 75 %), Erbulut et "
                            "al. 2022 Asian Spine J 16:831 (FE); no published cut-off found")


@dataclass(frozen=True)
class Thresholds:
    # micromotion (µm): Pilliar et al. 1986 Clin Orthop 208:108 (28 µm ingrowth, >=150 µm fibrous);
    # 50 µm reported as a second ingrowth bound (Jasty et al. 1997 JBJS Am 79:707: 40 µm mixed;
    # Engh et al. 1992: ingrowth up to 40 µm).
    ingrowth_um: float = 28.0
    ingrowth_upper_um: float = 50.0
    fibrous_um: float = 150.0
    # Which micromotion statistic classifies an interface. The area-weighted 95th percentile and not
    # the peak: a single quadrature point at a sharp edge carries a mesh-dependent spike, while 5 %
    # of the area over a threshold is a physical statement (tool convention, stated in the report).
    micromotion_statistic: str = "p95_um"
    # subsidence: class "high" when this percentage of the interface footprint is over yield, i.e.
    # yield is more than a local spike (tool convention: REFERENCES.md reports peak, p95 and area
    # over yield without a cut-off; 5 % matches the 95th percentile used elsewhere).
    subsidence_area_over_yield_pct: float = 5.0
    # an implant's whole footprint: 'moderate' from this fraction of the core's yield (mean
    # pressure; BEARING_CYCLIC_FRACTION above), 'high' from the yield itself
    bearing_moderate_fraction: float = BEARING_CYCLIC_FRACTION[0]
    # an open point's gap above this is not bridged by bone (micromotion: gap classes)
    bone_apposition_um: float = BONE_APPOSITION_UM[0]
    # the weakest region: the conservative guess when the bone material has neither a yield_MPa
    # nor a library bone type
    default_bone_region: str = "cancellous"
    bone_yield_MPa: dict = field(default_factory=lambda: {k: v for k, (v, _) in
                                                          BONE_YIELD_MPa.items()})
    # per-interface override of the bone yield (MPa), keyed by interface name
    interface_bone_yield_MPa: dict = field(default_factory=dict)
    # an implant on a shell (cortex / endplate) over a cancellous core: SHELL_BEARING above
    shell_bearing: str = "endplate"
    # strength: safety factor = yield / von Mises; < 1 means the yield strength is reached
    min_safety_factor: float = 1.0
    # ... and at or above this the implant strength verdict passes (between: borderline). Tool
    # convention: a margin of 2 on yield for a static load that is one of many cycles
    pass_safety_factor: float = 2.0
    # stability verdict on the ROM reduction against the intact reference (%): pass at or above
    # ROM_REDUCTION_PASS, borderline down to ROM_REDUCTION_FAIL (inclusive), fail below it
    rom_reduction_pass_pct: float = ROM_REDUCTION_PASS[0]
    rom_reduction_fail_pct: float = ROM_REDUCTION_FAIL[0]
    # ROM reduction: published intact ROM (deg) per load-case name, for a study without an intact
    # variant; e.g. Panjabi et al. 1988 C1-C2 at 1.5 Nm (REFERENCES.md)
    intact_rom_deg: dict = field(default_factory=dict)
    intact_rom_source: str = ""
    # screw clearance (mm) to the canal and the transverse foramina below which a screw is flagged
    screw_clearance_mm: float = SCREW_CLEARANCE_MM[0]

    def __post_init__(self):
        if not (0 < self.ingrowth_um <= self.ingrowth_upper_um <= self.fibrous_um):
            raise ConfigError(
                f"thresholds: need 0 < ingrowth_um ({self.ingrowth_um}) <= ingrowth_upper_um "
                f"({self.ingrowth_upper_um}) <= fibrous_um ({self.fibrous_um})")
        if not self.bone_apposition_um > 0:
            raise ConfigError(f"thresholds.bone_apposition_um: must be > 0 µm, got "
                              f"{self.bone_apposition_um}")
        if self.micromotion_statistic not in ("p95_um", "peak_um", "mean_um"):
            raise ConfigError(f"thresholds.micromotion_statistic: '{self.micromotion_statistic}' "
                              "is not one of p95_um, peak_um, mean_um")
        if self.default_bone_region not in self.bone_yield_MPa:
            raise ConfigError(f"thresholds.default_bone_region: '{self.default_bone_region}' has "
                              f"no yield (known: {', '.join(self.bone_yield_MPa)})")
        if self.shell_bearing not in SHELL_BEARING:
            raise ConfigError(f"thresholds.shell_bearing: '{self.shell_bearing}' is not one of "
                              f"{', '.join(SHELL_BEARING)}")
        if not 0 < self.min_safety_factor <= self.pass_safety_factor:
            raise ConfigError(f"thresholds: need 0 < min_safety_factor ({self.min_safety_factor})"
                              f" <= pass_safety_factor ({self.pass_safety_factor})")
        if not 0 <= self.rom_reduction_fail_pct <= self.rom_reduction_pass_pct <= 100:
            raise ConfigError(f"thresholds: need 0 <= rom_reduction_fail_pct "
                              f"({self.rom_reduction_fail_pct}) <= rom_reduction_pass_pct "
                              f"({self.rom_reduction_pass_pct}) <= 100 %")
        if not 0 < self.bearing_moderate_fraction <= 1:
            raise ConfigError(f"thresholds.bearing_moderate_fraction: must be in (0, 1] of the "
                              f"core's yield, got {self.bearing_moderate_fraction}")
        if not self.screw_clearance_mm >= 0:
            raise ConfigError(f"thresholds.screw_clearance_mm: must be >= 0 mm, got "
                              f"{self.screw_clearance_mm}")
        for k, v in {**self.bone_yield_MPa, **self.interface_bone_yield_MPa}.items():
            if not v > 0:
                raise ConfigError(f"thresholds: bone yield '{k}' must be > 0 MPa, got {v}")

    @classmethod
    def from_dict(cls, data: dict | None, where: str = "thresholds") -> Thresholds:
        """Build from a study file's table; unknown keys are named in the error."""
        data = dict(data or {})
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            import difflib

            hint = difflib.get_close_matches(unknown[0], sorted(known), n=1)
            did = f" Did you mean '{hint[0]}'?" if hint else ""
            raise ConfigError(f"{where}: unknown key '{unknown[0]}'.{did} Known: "
                              f"{', '.join(sorted(known))}")
        if "bone_yield_MPa" in data:  # partial override keeps the other regions' defaults
            data["bone_yield_MPa"] = {**cls().bone_yield_MPa, **data["bone_yield_MPa"]}
        return cls(**data)

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)

    def bone_yield(self, interface: str, library: str | None = None,
                   material_yield: float | None = None, material: str = "") -> tuple[float, str]:
        """(yield MPa, where it came from) for the bone an interface's implant bears on.

        Order: a per-interface override; the bone material's own yield_MPa; the region of its
        library bone type (cortical_bone -> cortical, ...); the default region, said to be assumed.
        """
        if interface in self.interface_bone_yield_MPa:
            return float(self.interface_bone_yield_MPa[interface]), "thresholds (per interface)"
        what = f"bone material '{material}'" if material else "bone material"
        if material_yield:
            return float(material_yield), f"{what} yield_MPa"
        region = LIBRARY_BONE_REGION.get(library or "")
        if region is not None and region in self.bone_yield_MPa:
            return float(self.bone_yield_MPa[region]), (f"{region} ({what}, library "
                                                        f"{library}; {self.source_of(region)})")
        r = self.default_bone_region
        return float(self.bone_yield_MPa[r]), (f"{r}, assumed: {what} has no yield_MPa and no "
                                              f"library bone type ({self.source_of(r)})")

    def source_of(self, region: str) -> str:
        """The literature source of a region's yield, unless the study changed the value."""
        default = BONE_YIELD_MPa.get(region)
        if default is not None and default[0] == self.bone_yield_MPa.get(region):
            return default[1]
        return "study thresholds"

    def table(self) -> list[tuple[str, str, str]]:
        """(name, value, source) rows for the report."""
        rows = [
            ("micromotion: bone ingrowth", f"{self.ingrowth_um:g} µm",
             "Pilliar et al. 1986 Clin Orthop 208:108"),
            ("micromotion: upper ingrowth bound", f"{self.ingrowth_upper_um:g} µm",
             "Jasty et al. 1997 JBJS Am 79:707 (40 µm mixed); Engh et al. 1992 (up to 40 µm)"),
            ("micromotion: fibrous tissue", f"{self.fibrous_um:g} µm",
             "Pilliar et al. 1986 Clin Orthop 208:108"),
            ("gap bridged by bone up to", f"{self.bone_apposition_um:g} µm",
             BONE_APPOSITION_UM[1] if self.bone_apposition_um == BONE_APPOSITION_UM[0]
             else "study thresholds"),
            ("micromotion class statistic", self.micromotion_statistic,
             "tool convention: area-weighted 95th percentile is robust to single-point spikes"),
        ]
        for region, v in self.bone_yield_MPa.items():
            rows.append((f"bone compressive yield: {region}", f"{v:g} MPa",
                         self.source_of(region)))
        for name, v in self.interface_bone_yield_MPa.items():
            rows.append((f"bone yield at interface {name}", f"{v:g} MPa", "study thresholds"))
        rows.append(("implant on a shell over a cancellous core judged by", self.shell_bearing,
                     SHELL_BEARING_SOURCE[self.shell_bearing]))
        rows += [
            ("subsidence 'high': area over yield", f"{self.subsidence_area_over_yield_pct:g} %",
             "tool convention (matches the 95th percentile used elsewhere)"),
            ("implant footprint 'moderate' from mean pressure / core yield",
             f"{self.bearing_moderate_fraction:g}", BEARING_CYCLIC_FRACTION[1]
             if self.bearing_moderate_fraction == BEARING_CYCLIC_FRACTION[0]
             else "study thresholds"),
            ("implant footprint 'high' from mean pressure / core yield", "1",
             "the core's compressive yield (an indentation failure on average)"),
            ("implant safety factor flag below", f"{self.min_safety_factor:g}",
             "yield: material yield_MPa (Ti6Al4V ASTM F136; lattice by Gibson-Ashby)"),
            ("implant strength verdict passes at or above safety factor",
             f"{self.pass_safety_factor:g}", "project default (a margin of 2 on yield)"
             if self.pass_safety_factor == 2.0 else "study thresholds"),
            ("stability verdict passes at ROM reduction of at least",
             f"{self.rom_reduction_pass_pct:g} %", ROM_REDUCTION_PASS[1]
             if self.rom_reduction_pass_pct == ROM_REDUCTION_PASS[0] else "study thresholds"),
            ("stability verdict fails at ROM reduction below",
             f"{self.rom_reduction_fail_pct:g} %", ROM_REDUCTION_FAIL[1]
             if self.rom_reduction_fail_pct == ROM_REDUCTION_FAIL[0] else "study thresholds"),
        ]
        rows.append(("screw clearance to canal / transverse foramen flag below",
                     f"{self.screw_clearance_mm:g} mm",
                     SCREW_CLEARANCE_MM[1] if self.screw_clearance_mm == SCREW_CLEARANCE_MM[0]
                     else "study thresholds"))
        if self.intact_rom_deg:
            vals = ", ".join(f"{k} {v:g}°" for k, v in self.intact_rom_deg.items())
            rows.append(("intact ROM reference", vals, self.intact_rom_source or "study file"))
        return rows


