"""Studies: models x variants x parameter grids x interface states x load cases, run in batch.

    fea.study.config     the study file (TOML) and its validation
    fea.study.plan       the job matrix and the input hash of every case
    fea.study.runner     run a study: resume, executors, summary, convergence, report
    fea.study.worker     one variant's cases (mesh once, set up once), wherever it runs

Kept free of heavy imports: spawned worker processes import this package before they set their
thread limits.
"""
