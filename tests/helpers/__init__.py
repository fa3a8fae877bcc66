"""Helpers shared by several test packages (and the simulator's tests); fixtures stay in the ``conftest.py`` files.

* :mod:`tests.helpers.simulator`: starting a simulator whose exchanges are recorded, and an HTTP session bound to it.
* :mod:`tests.helpers.task_calls`: calling a task's methods directly (a recording task instance, a deferral, a
  trigger's first event).
* :mod:`tests.helpers.credentials`: Spotify credentials as Airflow connections, and the canary secrets.
* :mod:`tests.helpers.processes`: Airflow components in their own process groups, and bounded polling.
"""
