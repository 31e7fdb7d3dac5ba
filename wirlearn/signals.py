"""The few events features tell each other about.

Receivers are connected in a feature's ``register(app)``. Senders pass the object concerned as
the sender and keyword arguments as documented here; receivers run inside the sender's
transaction and must not commit.
"""

from blinker import Namespace

_signals = Namespace()

attendance_saved = _signals.signal("attendance-saved")
"""A roster was saved. sender: the Session; kwargs: changed_enrollment_ids (set[int])."""

assessment_recorded = _signals.signal("assessment-recorded")
"""An assessment was recorded. sender: the Assessment."""

certificate_issued = _signals.signal("certificate-issued")
"""A certificate was issued. sender: the Certificate."""

certificate_revoked = _signals.signal("certificate-revoked")
"""A certificate was revoked. sender: the Certificate."""
