"""Did the outreach work? Campaign log, effect estimate, emerging hot spots, forecast (issue 13).

Modules: :mod:`~geo_outreach.effect.log` (reading and checking the campaign log),
:mod:`~geo_outreach.effect.exposure` (areas, monthly exposure, the area x month panel),
:mod:`~geo_outreach.effect.did` (staggered difference-in-differences, Poisson with area and month
effects), :mod:`~geo_outreach.effect.season` (the headline month-on-month change against season
and chance), :mod:`~geo_outreach.effect.emerging` (space-time cube, Gi* per month, Mann-Kendall,
pattern classes), :mod:`~geo_outreach.effect.forecast` (demand smoothed in space and time, tuned
by next-month hit rate) and :mod:`~geo_outreach.effect.run` (the ``effect`` command's library
side and its writers).
"""
