"""Every dimension of the occiput-C3 anatomy: a named parameter with its default and its source.

Lengths in mm (`*_mm`, multiplied by the builder's `scale` unless overridden), angles in degrees
(`*_deg`). `src` names a key of SOURCES; "approx." marks a rounded value chosen to fit the measured
ones (no table gives it), never a number a reader would look up. docs/constructs.md carries the
same table (`python -m fea.geometry.anatomy.morphometry` prints it).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

SOURCES = {
    "P91": "Panjabi MM et al. Cervical human vertebrae: quantitative three-dimensional anatomy of "
           "the middle and lower regions. Spine 1991;16(8):861-869 (C3 ranges, as in "
           "fea/geometry/vertebrae.py)",
    "FA": "CT angulation of the cervical superior facets, C3 49.5/51.7 deg to the transverse "
          "plane (right/left), PMC2219934 Table 2",
    "G12": "Gosavi SN, Swamy V. Morphometric study of the axis vertebra (100 dry axes), 2012: "
           "dens height 14.86, dens transverse diameter 9.28, body AP 14.77",
    "AX": "Morphometry of the body and odontoid process of the axis, 52 dry axes "
          "(core.ac.uk/works/303973137): body anterior height 18.69, inferior width 16.22, dens "
          "AP 10.61",
    "LM14": "Morphometric analysis of lateral masses of axis vertebrae in North Indians. Anat Res "
            "Int 2014:425868, Table 2: superior facet 16.34 x 14.35, inferior facet 11.13 x "
            "7.89, pedicle 8.82 x 5.63, transverse foramen 5.11",
    "PG": "Patel NP, Gupta DS. A morphometric study of adult human atlas vertebrae in South "
          "Gujarat, Int J Res Med Sci (100 atlases): width 71.19, transverse foramina outer "
          "55.48 / inner 44.77, canal AP 28.16 / transverse 26.63, anterior arch height 10.21, "
          "posterior arch 8.68, dens facet 8.96 x 9.18, superior facet 20.8 x 11.4, inferior "
          "facet 17.8 x 15.0, groove thickness 4.15/3.99",
    "TC23": "Thintharua P, Chentanez V. Morphological analysis and morphometry of the occipital "
            "condyle. Anat Cell Biol 2023;56(1): length 21.3, width 10.5, height 7.4; anterior "
            "tip to basion 11.5",
    "B14": "Bayat P et al. Characterization of occipital condyle ... dry skulls of Iran. Int J "
           "Morphol 2014: intercondylar distance anterior 15.39, posterior 35.60",
    "S-FM": "Samara OA et al. Morphometric analysis of the foramen magnum. Int J Morphol (247 CT): "
            "AP 35.1, transverse 29.3",
    "Z16": "Zarghooni K et al. Occipital bone thickness. Acta Orthop Traumatol Turc "
           "2016;50(6):606-609: 15.4 at the external occipital protuberance",
    "AO": "AO Surgery Reference, occipitocervical fusion: midline crest 10-15 mm thick, 5-6 mm "
          "7-8 mm off the midline",
    "N10": "Neumann DA. Kinesiology of the Musculoskeletal System, 2010: atlas inferior facets "
           "about 20 deg to the horizontal",
    "GN86": "Gilad I, Nissan M. Spine 1986;11:154 (cervical disc height, as in fea/geometry/spine.py)",
    "REF": "../shared/REFERENCES.md: cortical shell about 0.5 mm at C1-C3",
    "approx.": "rounded value chosen to fit the measured ones; not taken from a table",
}


def P(default, src: str, note: str = ""):
    return field(default=default, metadata={"src": src, "note": note})


@dataclass
class C0Dims:
    """Occiput: condyles, foramen magnum rim, clivus, a piece of the squama with its keel."""

    condyle_length_mm: float = P(21.3, "TC23")
    condyle_width_mm: float = P(10.5, "TC23")
    condyle_height_mm: float = P(7.4, "TC23")
    condyle_radius_mm: float = P(15.0, "approx.", "sagittal radius of the articular surface "
                                 "(sagitta ~4 mm over the 21.3 mm condyle)")
    condyle_convergence_deg: float = P(27.0, "B14", "atan((35.6-15.4)/2/19.4): long axes "
                                       "converging anteriorly")
    joint_tilt_deg: float = P(25.0, "approx.", "C0-C1 joint normal from vertical, facing "
                              "infero-laterally (C1 facets face up and medially)")
    basion_to_condyle_y_mm: float = P(8.3, "TC23", "sqrt(11.5^2 - 8^2): basion anterior of "
                                      "the condyle centres")
    foramen_ap_mm: float = P(35.1, "S-FM")
    foramen_width_mm: float = P(29.3, "S-FM")
    squama_thickness_mm: float = P(6.0, "AO")
    keel_thickness_mm: float = P(15.4, "Z16", "at the external occipital protuberance")
    squama_height_mm: float = P(38.0, "approx.", "foramen magnum plane to the top cut")
    squama_half_width_mm: float = P(38.0, "approx.")
    clivus_thickness_mm: float = P(9.0, "approx.")
    clivus_angle_deg: float = P(65.0, "approx.", "clivus to the foramen magnum plane")
    cortical_mm: float = P(0.8, "approx.", "inner/outer tables thicker than at C1-C3")


@dataclass
class C1Dims:
    width_mm: float = P(71.2, "PG", "transverse process tip to tip")
    canal_ap_mm: float = P(28.2, "PG")
    canal_width_mm: float = P(26.6, "PG")
    anterior_arch_height_mm: float = P(10.2, "PG")
    anterior_arch_thickness_mm: float = P(5.5, "approx.")
    posterior_arch_height_mm: float = P(8.7, "PG")
    groove_thickness_mm: float = P(4.1, "PG", "posterior arch under the vertebral artery")
    dens_facet_height_mm: float = P(9.0, "PG")
    dens_facet_width_mm: float = P(9.2, "PG")
    superior_facet_length_mm: float = P(20.8, "PG")
    superior_facet_width_mm: float = P(11.4, "PG")
    inferior_facet_length_mm: float = P(17.8, "PG")
    inferior_facet_width_mm: float = P(15.0, "PG")
    lateral_mass_height_mm: float = P(14.0, "approx.", "inferior to superior facet centre")
    foramen_x_mm: float = P(25.1, "PG", "(55.48 + 44.77) / 4: centre from the midline")
    foramen_diameter_mm: float = P(5.4, "PG", "(55.48 - 44.77) / 2")
    cortical_mm: float = P(0.5, "REF")


@dataclass
class C2Dims:
    body_width_mm: float = P(16.2, "AX")
    body_depth_mm: float = P(14.8, "G12")
    body_height_mm: float = P(18.7, "AX", "inferior endplate to the base of the dens")
    dens_height_mm: float = P(14.9, "G12", "base (body top) to apex")
    dens_width_mm: float = P(9.3, "G12")
    dens_depth_mm: float = P(10.6, "AX")
    superior_facet_length_mm: float = P(16.3, "LM14")
    superior_facet_width_mm: float = P(14.4, "LM14")
    superior_facet_slope_deg: float = P(20.0, "N10", "down-laterally, coronal plane")
    inferior_facet_length_mm: float = P(11.1, "LM14")
    inferior_facet_width_mm: float = P(7.9, "LM14")
    pedicle_width_mm: float = P(8.8, "LM14")
    pedicle_height_mm: float = P(5.6, "LM14")
    foramen_diameter_mm: float = P(5.1, "LM14")
    canal_width_mm: float = P(22.0, "approx.", "between the pars at the lamina level")
    canal_ap_mm: float = P(16.0, "approx.", "body to lamina on the midline")
    lamina_thickness_mm: float = P(5.0, "approx.")
    spinous_length_mm: float = P(16.0, "approx.", "bifid")
    cortical_mm: float = P(0.5, "REF")


@dataclass
class C3Dims:
    body_width_mm: float = P(16.0, "P91")
    body_depth_mm: float = P(15.0, "P91")
    body_height_mm: float = P(14.0, "P91")
    canal_width_mm: float = P(23.5, "P91")
    canal_depth_mm: float = P(14.5, "P91")
    pedicle_width_mm: float = P(5.5, "P91")
    pedicle_height_mm: float = P(7.0, "P91")
    facet_angle_deg: float = P(50.0, "FA", "superior facet to the transverse plane")
    facet_length_mm: float = P(11.1, "LM14", "= C2 inferior facet")
    facet_width_mm: float = P(9.0, "approx.")
    pillar_height_mm: float = P(11.0, "approx.")
    uncinate_height_mm: float = P(3.0, "approx.")
    foramen_diameter_mm: float = P(5.5, "approx.")
    lamina_thickness_mm: float = P(3.5, "approx.")
    spinous_length_mm: float = P(12.0, "approx.")
    cortical_mm: float = P(0.5, "REF")


@dataclass
class JointDims:
    disc_height_mm: float = P(5.0, "GN86")
    nucleus_fraction: float = P(0.4, "approx.", "nucleus share of the disc area")
    c0c1_cartilage_mm: float = P(1.0, "approx.", "C0-C1 joint space (cartilage)")
    c1c2_cartilage_mm: float = P(1.4, "approx.", "lateral atlantoaxial joint space")
    c1c2_cartilage_sag_mm: float = P(0.8, "approx.", "lateral atlantoaxial cartilage convex "
                                     "in the sagittal plane (biconvex cartilage on flat or "
                                     "concave bony facets, JCVJS 2017;8(4):354): its surface "
                                     "drops this much from mid-joint to the front and back "
                                     "ends; 0 = flat")
    median_cartilage_mm: float = P(1.5, "approx.", "dens to anterior arch (adult ADI < 3)")
    c2c3_cartilage_mm: float = P(1.0, "approx.")
    capsule_reach_mm: float = P(3.0, "approx.", "capsule attachment band along each bone")

    def check(self):
        if self.disc_height_mm < 1.0:
            return "disc_height_mm must be at least 1 mm"
        if not 0.1 <= self.nucleus_fraction <= 0.8:
            return "nucleus_fraction must be between 0.1 and 0.8"
        for k in ("c0c1_cartilage_mm", "c1c2_cartilage_mm", "median_cartilage_mm",
                  "c2c3_cartilage_mm"):
            if getattr(self, k) < 0.3:
                return f"{k} must be at least 0.3 mm (a joint needs a meshable cartilage layer)"
        if not 0.0 <= self.c1c2_cartilage_sag_mm <= self.c1c2_cartilage_mm - 0.3:
            return (f"c1c2_cartilage_sag_mm must be between 0 and c1c2_cartilage_mm - 0.3 = "
                    f"{self.c1c2_cartilage_mm - 0.3:.2f} mm (the cartilage's ends stay 0.3 mm "
                    "thick to be meshable)")
        return ""


TABLES = {"C0": C0Dims, "C1": C1Dims, "C2": C2Dims, "C3": C3Dims, "joints": JointDims}


def markdown_table() -> str:
    rows = ["| table | parameter | default | unit | source | note |", "|---|---|---|---|---|---|"]
    for t, cls in TABLES.items():
        for f in dataclasses.fields(cls):
            unit = "mm" if f.name.endswith("_mm") else "deg" if f.name.endswith("_deg") else "-"
            rows.append(f"| {t} | `{f.name}` | {f.default:g} | {unit} | {f.metadata['src']} | "
                        f"{f.metadata['note']} |")
    rows.append("")
    rows += [f"- **{k}**: {v}" for k, v in SOURCES.items()]
    return "\n".join(rows)


if __name__ == "__main__":
    print(markdown_table())
