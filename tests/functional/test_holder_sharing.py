"""The holder shares a certificate from "Meine Zertifikate": copy the verification link, download
the credential, add it to LinkedIn (pre-filled), print it."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

from tests.certificate_support import app_settings, enrollment_id, make_eligible, signing_key_dir  # noqa: F401
from wirlearn.certificates import codes, services
from wirlearn.extensions import db


def test_holder_page_offers_every_way_to_share(app, client, login, programme, coordinator):
    make_eligible(app, programme["main"], coordinator)
    with app.app_context():
        code = services.issue_certificate(enrollment_id(app, programme["main"], coordinator)).code
        db.session.commit()
        snapshot = services.certificate_by_code(code).snapshot
    login(client, coordinator)
    page = client.get("/zertifikate").get_data(as_text=True)
    # Copy the verification link, download the credential.
    assert f'value="http://wirlearn.test/v/{code}"' in page and "Link kopieren" in page
    assert f'href="/api/v1/certificates/{code}/credential"' in page
    # LinkedIn, pre-filled with the certificate.
    link = html.unescape(re.search(r'href="(https://www\.linkedin\.com/profile/add\?[^"]+)"', page).group(1))
    query = parse_qs(urlsplit(link).query)
    assert query["name"] == [snapshot["certificate_title"]]
    assert query["certUrl"] == [f"http://wirlearn.test/v/{code}"] and query["certId"] == [codes.grouped(code)]
    # Print: the PDF opens in the browser instead of downloading.
    print_link = html.unescape(re.search(r'href="([^"]+inline=1)"', page).group(1))
    response = client.get(print_link)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("inline;")
    assert client.get(f"/api/v1/certificates/{code}/pdf").headers["Content-Disposition"].startswith("attachment;")
