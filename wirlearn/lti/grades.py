"""Results back to the course's gradebook (Assignment and Grade Services 2.0).

A recorded assessment (and an issued or revoked certificate) becomes a pending ``LtiScore`` in
the same transaction; the job ``lti.scores`` sends what is due, one line item per module plus
one for eligibility, created on first use and its maximum kept equal to the module's. A failed
send is retried with growing pauses and, after the last attempt, shown as failed.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from wirlearn.audit.services import record
from wirlearn.core.timeutil import utcnow
from wirlearn.extensions import db
from wirlearn.lti import access_tokens, http
from wirlearn.lti.models import LtiContext, LtiLineItem, LtiPlatform, LtiScore, LtiUserLink

LINEITEM_MEDIA_TYPE = "application/vnd.ims.lis.v2.lineitem+json"
SCORE_MEDIA_TYPE = "application/vnd.ims.lis.v1.score+json"
MAX_ATTEMPTS = 8
FIRST_PAUSE = timedelta(minutes=1)
LONGEST_PAUSE = timedelta(hours=6)
BATCH = 200
# What the course's gradebook shows: in the programme's language (German), whichever language
# the person who recorded the result uses.
GRADEBOOK_TEXTS = {
    "passed": "bestanden",
    "failed": "nicht bestanden",
    "issued": "Zertifikat erteilt",
    "revoked": "Zertifikat widerrufen",
    "eligibility": "Zertifikat (Voraussetzungen erfüllt)",
    "module": "Modul",
}


PENDING_KEY = "wirlearn_lti_pending_results"


def _pending(session=None) -> list[tuple]:
    return (session or db.session()).info.setdefault(PENDING_KEY, [])


def on_assessment_recorded(assessment, **_kwargs) -> None:
    """Remember the result; it is put in line once, for everything the transaction recorded,
    just before the commit (a fixed number of queries however many rows a trainer saved)."""
    _pending().append(("module", assessment.enrollment_id, assessment.module_id, assessment.result, assessment.points))


def on_certificate_issued(certificate, **_kwargs) -> None:
    _pending().append(("eligibility", certificate.enrollment_id, None, "issued", None))


def on_certificate_revoked(certificate, **_kwargs) -> None:
    _pending().append(("eligibility", certificate.enrollment_id, None, "revoked", None))


@event.listens_for(Session, "before_commit")
def _queue_pending(session: Session) -> None:
    items = session.info.pop(PENDING_KEY, None)
    if items:
        queue_results(items)


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(PENDING_KEY, None)


def module_score(module, result: str, points) -> tuple[Decimal, Decimal]:
    if module.assessment_kind == "points" and points is not None and module.max_points:
        return Decimal(points), Decimal(module.max_points)
    return (Decimal(1) if result == "passed" else Decimal(0)), Decimal(1)


def queue_results(items: list[tuple]) -> int:
    """Put results in line for every linked course of the person's series; a newer result
    replaces one still waiting. ``items``: (kind, enrollment id, module id, result, points)."""
    from wirlearn import jobs
    from wirlearn.programme.models import Enrollment, Module

    enrollments = {
        row.id: row
        for row in db.session.execute(
            select(Enrollment.id, Enrollment.series_id, Enrollment.user_id).where(Enrollment.id.in_({item[1] for item in items}))
        )
    }
    if not enrollments:
        return 0
    targets: dict[tuple[int, int], list[int]] = {}
    for context_id, series_id, user_id in db.session.execute(
        select(LtiContext.id, LtiContext.series_id, LtiUserLink.user_id)
        .join(LtiPlatform, LtiPlatform.id == LtiContext.platform_id)
        .join(LtiUserLink, LtiUserLink.platform_id == LtiContext.platform_id)
        .where(
            LtiContext.series_id.in_({row.series_id for row in enrollments.values()}),
            LtiContext.lineitems_url.is_not(None),
            LtiPlatform.status == "active",
            LtiUserLink.user_id.in_({row.user_id for row in enrollments.values()}),
        )
    ):
        targets.setdefault((series_id, user_id), []).append(context_id)
    if not targets:
        return 0  # the usual case: no course of these series sends grades
    module_ids = {item[2] for item in items if item[2] is not None}
    modules = {module.id: module for module in db.session.scalars(select(Module).where(Module.id.in_(module_ids)))}
    context_ids = {context_id for ids in targets.values() for context_id in ids}
    waiting = {
        (score.context_id, score.user_id, score.kind, score.module_id): score
        for score in db.session.scalars(
            select(LtiScore).where(LtiScore.status == "pending", LtiScore.context_id.in_(context_ids))
        )
    }
    queued = 0
    for kind, enrollment_id, module_id, result, points in items:
        enrollment = enrollments.get(enrollment_id)
        if enrollment is None:
            continue
        if kind == "module":
            module = modules.get(module_id)
            if module is None:
                continue
            given, maximum = module_score(module, result, points)
            comment = GRADEBOOK_TEXTS["passed" if result == "passed" else "failed"]
        else:
            given, maximum = Decimal(1 if result == "issued" else 0), Decimal(1)
            comment = GRADEBOOK_TEXTS[result]
        for context_id in targets.get((enrollment.series_id, enrollment.user_id), []):
            key = (context_id, enrollment.user_id, kind, module_id)
            score = waiting.get(key)
            if score is None:
                score = LtiScore(context_id=context_id, user_id=enrollment.user_id, kind=kind, module_id=module_id, attempts=0)
                db.session.add(score)
                waiting[key] = score
            score.score_given = given
            score.score_maximum = maximum
            score.comment = comment
            score.next_attempt_at = utcnow()
            queued += 1
    if queued:
        db.session.flush()
        jobs.enqueue("lti.scores")
    return queued


# --- sending ----------------------------------------------------------------------------------


def _label(score: LtiScore) -> tuple[str, str]:
    """Label and resource id of the score's line item."""
    from wirlearn.programme.models import Module

    if score.kind == "eligibility":
        return GRADEBOOK_TEXTS["eligibility"], "wirlearn-eligibility"
    module = db.session.get(Module, score.module_id)
    return (module.title if module else GRADEBOOK_TEXTS["module"]), f"wirlearn-module-{score.module_id}"


def ensure_line_item(context: LtiContext, score: LtiScore, token: str) -> LtiLineItem:
    """The score's line item: created on the platform on first use; its maximum updated when the
    module's maximum changed since."""
    item = db.session.scalars(
        select(LtiLineItem).where(
            LtiLineItem.context_id == context.id,
            LtiLineItem.kind == score.kind,
            LtiLineItem.module_id.is_(None) if score.module_id is None else LtiLineItem.module_id == score.module_id,
        )
    ).first()
    label, resource_id = _label(score)
    headers = access_tokens.bearer(token, LINEITEM_MEDIA_TYPE)
    if item is None:
        answer = http.send_json(
            "POST",
            context.lineitems_url,
            {"scoreMaximum": float(score.score_maximum), "label": label, "resourceId": resource_id, "tag": "wirlearn"},
            content_type=LINEITEM_MEDIA_TYPE,
            headers=headers,
        )
        url = answer.get("id") if isinstance(answer, dict) else None
        if not isinstance(url, str) or not url:
            raise http.PlatformError(f"{context.lineitems_url} gave no line item id")
        item = LtiLineItem(
            context_id=context.id,
            kind=score.kind,
            module_id=score.module_id,
            url=url,
            label=label,
            score_maximum=score.score_maximum,
        )
        db.session.add(item)
        db.session.flush()
    elif item.score_maximum != score.score_maximum or item.label != label:
        http.send_json(
            "PUT",
            item.url,
            {
                "id": item.url,
                "scoreMaximum": float(score.score_maximum),
                "label": label,
                "resourceId": resource_id,
                "tag": "wirlearn",
            },
            content_type=LINEITEM_MEDIA_TYPE,
            headers=headers,
        )
        item.score_maximum = score.score_maximum
        item.label = label
    return item


def scores_url(line_item_url: str) -> str:
    path, _sep, query = line_item_url.partition("?")
    return path.rstrip("/") + "/scores" + (f"?{query}" if query else "")


def _send(score: LtiScore, token: str) -> None:
    context = db.session.get(LtiContext, score.context_id)
    sub = db.session.scalar(
        select(LtiUserLink.sub).where(LtiUserLink.platform_id == context.platform_id, LtiUserLink.user_id == score.user_id)
    )
    if sub is None:
        raise http.PlatformError("the person is no longer linked to this platform")
    item = ensure_line_item(context, score, token)
    http.send_json(
        "POST",
        scores_url(item.url),
        {
            "userId": sub,
            "scoreGiven": float(score.score_given),
            "scoreMaximum": float(score.score_maximum),
            "comment": score.comment,
            "activityProgress": "Completed",
            "gradingProgress": "FullyGraded",
            "timestamp": utcnow().isoformat(timespec="milliseconds") + "Z",
        },
        content_type=SCORE_MEDIA_TYPE,
        headers=access_tokens.bearer(token),
    )


def _failed(score: LtiScore, error: str) -> None:
    score.attempts += 1
    score.last_error = error[:1000]
    if score.attempts >= MAX_ATTEMPTS:
        score.status = "failed"
        record(
            "lti.score_failed",
            "lti_score",
            score.id,
            subject_user_id=score.user_id,
            module_id=score.module_id,
            after={"attempts": score.attempts, "error": score.last_error},
        )
    else:
        score.next_attempt_at = utcnow() + min(FIRST_PAUSE * 2 ** (score.attempts - 1), LONGEST_PAUSE)


def send_due(limit: int = BATCH) -> dict:
    """Job ``lti.scores`` (also periodic, for the retries): send what is due."""
    now = utcnow()
    due = db.session.scalars(
        select(LtiScore)
        .where(LtiScore.status == "pending", LtiScore.next_attempt_at <= now)
        .order_by(LtiScore.context_id, LtiScore.id)
        .limit(limit)
    ).all()
    counts = {"sent": 0, "failed": 0}
    tokens: dict[int, str | http.PlatformError] = {}
    for score in due:
        context = db.session.get(LtiContext, score.context_id)
        platform_id = context.platform_id
        if platform_id not in tokens:
            try:
                tokens[platform_id] = access_tokens.access_token(
                    context.platform, [access_tokens.AGS_LINEITEM_SCOPE, access_tokens.AGS_SCORE_SCOPE]
                )
            except http.PlatformError as error:
                tokens[platform_id] = error
        token = tokens[platform_id]
        if isinstance(token, http.PlatformError):
            _failed(score, str(token))
            counts["failed"] += 1
            continue
        try:
            _send(score, token)
        except http.PlatformError as error:
            _failed(score, str(error))
            counts["failed"] += 1
            continue
        score.status = "sent"
        score.sent_at = utcnow()
        score.attempts += 1
        score.last_error = None
        counts["sent"] += 1
        record(
            "lti.score_sent",
            "lti_score",
            score.id,
            subject_user_id=score.user_id,
            module_id=score.module_id,
            after={"kind": score.kind, "score": float(score.score_given), "maximum": float(score.score_maximum)},
        )
    db.session.flush()
    return counts


def retry(score: LtiScore) -> None:
    """An admin sends a failed score again."""
    if score.status != "failed":
        return
    score.status = "pending"
    score.attempts = 0
    score.next_attempt_at = utcnow()
    record("lti.score_retried", "lti_score", score.id, subject_user_id=score.user_id, module_id=score.module_id)
    db.session.flush()
    from wirlearn import jobs

    jobs.enqueue("lti.scores")
