"""The feature packages this app is made of, in the order they register.

Each package has ``register(app)`` that adds its blueprints, CLI commands and signal receivers.
This list is the one place that says what the app contains; nothing is discovered by globbing.
"""

FEATURES = (
    "wirlearn.core",
    "wirlearn.jobs",
    "wirlearn.api",
    "wirlearn.audit",
    "wirlearn.auth",
    "wirlearn.users",
    "wirlearn.programme",
    "wirlearn.attendance",
    "wirlearn.checkin",
    "wirlearn.offline",
    "wirlearn.assessments",
    "wirlearn.progress",
    "wirlearn.certificates",
    "wirlearn.status",
    "wirlearn.verify",
    "wirlearn.mail",
    "wirlearn.lti",
    "wirlearn.demo",
    "wirlearn.ops",
)
