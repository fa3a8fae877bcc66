"""Helpers shared by several test packages (and the simulator's tests). Test modules import helpers from here
or from the helper modules next to them, never from a ``conftest.py``; conftests hold fixtures and hooks only.

* :mod:`tests.helpers.simulator`: starting a simulator whose exchanges are recorded, and an HTTP session bound
  to one; :mod:`tests.helpers.simulator_fixtures`: the simulator fixtures and hooks both conftests import.
* :mod:`tests.helpers.task_calls`: calling a task's methods directly (a recording task instance, a minimal
  context, a deferral, a trigger's first event, an upstream XCom).
* :mod:`tests.helpers.credentials`: Spotify credentials as Airflow connections, and the canary secrets.
* :mod:`tests.helpers.processes`: Airflow components in their own process groups (started, health-checked,
  stopped), and bounded polling.
"""
