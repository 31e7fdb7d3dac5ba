"""Results back to the course's gradebook (Assignment and Grade Services 2.0).

A recorded assessment (and an issued or revoked certificate) becomes a pending ``LtiScore`` in
the same transaction; the job ``lti.scores`` sends what is due, one line item per module plus
one for eligibility, created on first use and its maximum kept equal to the module's. A failed
send is retried with growing pauses and, after the last attempt, shown as failed.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

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


def _contexts_for(series_id: int, user_id: int) -> list[LtiContext]:
    """Courses linked to the series, with a gradebook, on a platform the user is linked on."""
    return list(
        db.session.scalars(
            select(LtiContext)
            .join(LtiPlatform, LtiPlatform.id == LtiContext.platform_id)
            .join(LtiUserLink, (LtiUserLink.platform_id == LtiContext.platform_id) & (LtiUserLink.user_id == user_id))
            .where(LtiContext.series_id == series_id, LtiContext.lineitems_url.is_not(None), LtiPlatform.status == "active")
        )
    )


def queue_score(
    series_id: int, user_id: int, *, kind: str, module_id: int | None, given: Decimal, maximum: Decimal, comment: str = ""
) -> int:
    """Put a result in line for every linked course; a newer result replaces one still waiting."""
    from wirlearn import jobs

    queued = 0
    for context in _contexts_for(series_id, user_id):
        waiting = db.session.scalars(
            select(LtiScore).where(
                LtiScore.context_id == context.id,
                LtiScore.user_id == user_id,
                LtiScore.kind == kind,
                LtiScore.module_id.is_(None) if module_id is None else LtiScore.module_id == module_id,
                LtiScore.status == "pending",
            )
        ).first()
        if waiting is None:
            waiting = LtiScore(context_id=context.id, user_id=user_id, kind=kind, module_id=module_id, attempts=0)
            db.session.add(waiting)
        waiting.score_given = given
        waiting.score_maximum = maximum
        waiting.comment = comment[:500]
        waiting.next_attempt_at = utcnow()
        queued += 1
    if queued:
        db.session.flush()
        jobs.enqueue("lti.scores")
    return queued


def module_score(module, assessment) -> tuple[Decimal, Decimal]:
    if module.assessment_kind == "points" and assessment.points is not None and module.max_points:
        return Decimal(assessment.points), Decimal(module.max_points)
    return (Decimal(1) if assessment.result == "passed" else Decimal(0)), Decimal(1)


def on_assessment_recorded(assessment, **_kwargs) -> None:
    from wirlearn.programme.models import Enrollment, Module

    enrollment = db.session.get(Enrollment, assessment.enrollment_id)
    module = db.session.get(Module, assessment.module_id)
    if enrollment is None or module is None:
        return
    given, maximum = module_score(module, assessment)
    queue_score(
        enrollment.series_id,
        enrollment.user_id,
        kind="module",
        module_id=module.id,
        given=given,
        maximum=maximum,
        comment=GRADEBOOK_TEXTS["passed" if assessment.result == "passed" else "failed"],
    )


def _on_certificate(certificate, *, issued: bool) -> None:
    from wirlearn.programme.models import Enrollment

    enrollment = db.session.get(Enrollment, certificate.enrollment_id)
    if enrollment is None:
        return
    queue_score(
        enrollment.series_id,
        enrollment.user_id,
        kind="eligibility",
        module_id=None,
        given=Decimal(1) if issued else Decimal(0),
        maximum=Decimal(1),
        comment=GRADEBOOK_TEXTS["issued" if issued else "revoked"],
    )


def on_certificate_issued(certificate, **_kwargs) -> None:
    _on_certificate(certificate, issued=True)


def on_certificate_revoked(certificate, **_kwargs) -> None:
    _on_certificate(certificate, issued=False)


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
