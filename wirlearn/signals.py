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

user_invited = _signals.signal("user-invited")
"""A person is to receive an invitation (a link to set their password). sender: the User."""

password_reset_requested = _signals.signal("password-reset-requested")
"""Someone asked for a password link on the sign-in page or the API. sender: the normalised
e-mail address as typed (str): whether an account belongs to it is decided later, in the
background, so the request itself does the same work for every address."""

session_changed = _signals.signal("session-changed")
"""Date, time or place of a session changed. sender: the Session (already changed, its
``calendar_sequence`` raised); kwargs: before (dict with date, start_time, end_time, place)."""

session_cancelled = _signals.signal("session-cancelled")
"""A session is about to be deleted. sender: the Session, still loaded with its module."""

progress_kept = _signals.signal("progress-kept")
"""Kept progress records were rewritten (wirlearn.progress.kept). sender: the series id (int);
kwargs: enrollment_ids (list[int]). Sent inside the writing transaction, once per chunk."""

user_anonymised = _signals.signal("user-anonymised")
"""A person's identifying data is being removed (retention, erasure request). sender: the User
(already anonymised); features drop what they keep about the person elsewhere."""
