"""Every model of every feature, imported in one place so the metadata is complete
(Alembic autogenerate, ``db.create_all`` in throwaway databases). Models live with their feature."""

from wirlearn.assessments.models import Assessment
from wirlearn.attendance.models import Attendance, RosterSubmission
from wirlearn.audit.models import AuditEvent
from wirlearn.auth.models import RecoveryCode, User, UserRole
from wirlearn.certificates.models import Certificate, CertificateDesign, DesignImage, SigningKey
from wirlearn.core.changes import DataVersion
from wirlearn.lti.models import LtiContext, LtiLaunch, LtiLineItem, LtiPlatform, LtiScore, LtiSync, LtiToolKey, LtiUserLink
from wirlearn.mail.models import ForecastState, MailPreference, OutboxMessage
from wirlearn.programme.models import Enrollment, Module, Region, Series, Session, session_trainers
from wirlearn.progress.models import ProgressRecord
from wirlearn.status.models import StatusList

__all__ = [
    "Assessment",
    "Attendance",
    "AuditEvent",
    "Certificate",
    "CertificateDesign",
    "DataVersion",
    "DesignImage",
    "Enrollment",
    "ForecastState",
    "LtiContext",
    "LtiLaunch",
    "LtiLineItem",
    "LtiPlatform",
    "LtiScore",
    "LtiSync",
    "LtiToolKey",
    "LtiUserLink",
    "MailPreference",
    "Module",
    "OutboxMessage",
    "ProgressRecord",
    "RecoveryCode",
    "Region",
    "RosterSubmission",
    "Series",
    "Session",
    "SigningKey",
    "StatusList",
    "User",
    "UserRole",
    "session_trainers",
]
