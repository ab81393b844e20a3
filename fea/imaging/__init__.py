"""Patient models from CT: image reading (NIfTI, DICOM series), label maps (NIfTI, DICOM-SEG),
label surfaces for the `ct` mesh builder, and CT-based bone moduli (HU -> density -> E per
element). See docs/patient_geometry.md.
"""
