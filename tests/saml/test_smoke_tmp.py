import re
from urllib.parse import urlsplit
from saml2 import BINDING_HTTP_REDIRECT, BINDING_HTTP_POST
from tests.conftest import csrf_token


def test_flow(client, auth, esm_person, amf_sp, idp_metadata):
    sp = amf_sp.client(idp_metadata)
    req_id, info = sp.prepare_for_authenticate(binding=BINDING_HTTP_REDIRECT, relay_state="rs1", sign=True, sigalg="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256")
    location = dict(info["headers"])["Location"]
    parts = urlsplit(location)
    r = client.get(parts.path + "?" + parts.query)
    print(r.status_code, r.headers.get("Location"), r.get_data(as_text=True)[:300])
    resume = r.headers["Location"]
    r = client.get(resume)
    assert "/connexion" in r.headers["Location"]
    login = r.headers["Location"]
    auth.form_post(urlsplit(login).path + "?" + urlsplit(login).query, {"user_code": esm_person.user_code, "password": esm_person.password})
    done = auth.code_step(auth.smtp.last_code(esm_person.email))
    r = client.get(done.headers["Location"])
    html = r.get_data(as_text=True)
    print(r.status_code, html[:200])
    if 'value="allow"' in html:
        r = client.post(urlsplit(resume).path, data={"decision": "allow", "csrf_token": csrf_token(html)})
        html = r.get_data(as_text=True)
    value = re.search(r'name="SAMLResponse" value="([^"]+)"', html).group(1)
    resp = sp.parse_authn_request_response(value, BINDING_HTTP_POST, outstanding={req_id: "/"})
    print(resp.name_id, resp.ava, resp.authn_info())
    assert False
