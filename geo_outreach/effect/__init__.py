"""Did the outreach work? Campaign log, exposure, staggered difference-in-differences (issue 13).

Modules: :mod:`~geo_outreach.effect.log` (reading and checking the campaign log),
:mod:`~geo_outreach.effect.exposure` (areas, monthly exposure, the area x month panel),
:mod:`~geo_outreach.effect.did` (the estimator), :mod:`~geo_outreach.effect.run` (the
``effect`` command's library side and its writers).
"""
