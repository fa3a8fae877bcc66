"""How long a test step may take before the test calls it hung.

A guard against hangs, not a measure of speed (speed belongs in ``make bench``): generous enough that a
2-core machine busy with other work never trips it, bounded so that a hang still ends the run.
"""

#: Seconds for one step that should take seconds to a minute: an ``airflow`` CLI command, a DAG run, a
#: component becoming ready.
HANG_GUARD = 600.0
