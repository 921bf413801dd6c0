"""Privacy by design: what each package stores about a person (the registry), a pupil's
export and erasure, the access record of who read whose diary, journal and live report, and
the retention of live logs, recordings and that record.

Each package declares its personal data in its own ``<package>/privacy.py`` (the shell's in
:mod:`eschool.privacy.provider`); :mod:`eschool.privacy.registry` finds them by name, the way
seeds are found, and keeps no registry of its own.
"""
