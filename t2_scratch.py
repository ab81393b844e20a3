import sys; sys.path.insert(0,'tests')
import numpy as np, time
from pathlib import Path
from contact_helpers import block_rollers, stacked_blocks
from fea.abaqus import read_deck, write_deck
from fea.abaqus.ccx import read_dat_displacements, run_ccx
from fea.contact.term import ContactAnalysis
from fea.contact.overclosure import Exponential, Tabular
from fea.materials import LinearElastic
from fea.model import Interface, LoadCase, Model, Pressure, Section, Step, Support
MATS = {"base": LinearElastic("base", 1000.0, 0.3), "block": LinearElastic("block", 3000.0, 0.2)}
m = stacked_blocks(0.5, 2, conforming=False, size_upper=0.4)
PRESS = LoadCase("press", [Step("press", [Pressure("upper_zmax", 1.0)])])
def compare(tmp, model, lc):
    tmp.mkdir(exist_ok=True)
    deck = tmp / "job.inp"
    write_deck(model, lc, deck)
    t=time.time(); run = run_ccx(deck, threads=2); tc=time.time()-t
    t=time.time(); res = ContactAnalysis(read_deck(deck).model).run(lc); to=time.time()-t
    rel=[]
    for k, st in enumerate(res.step_ends(), 1):
        (labels, u_ccx), = [(lab, u) for name, t, lab, u in read_dat_displacements(run.dat) if name == "NALL" and t == float(k)]
        u = res.displacement(st)[np.searchsorted(model.mesh.node_ids, labels)]
        rel.append(float(np.abs(u - u_ccx).max() / np.abs(u).max()))
    return res.converged, rel, tc, to
which = sys.argv[1]
its = {"exp": Interface("if","upper_zmin","lower_zmax","frictionless",overclosure=Exponential(0.01,0.1)),
       "tab": Interface("if","upper_zmin","lower_zmax","frictionless",overclosure=Tabular((0,0.5,2.0),(0,0.002,0.004))),
       "tied": Interface("if","upper_zmin","lower_zmax","tied",penalty=200., stick_slope=400.)}
sup = block_rollers() if which != "tied" else [Support("lower_zmin")]
model = Model("p", m, dict(MATS), [Section("lower","base"),Section("upper","block")], sup, {}, [its[which]])
print(which, compare(Path("/tmp/ovc_"+which), model, PRESS))
