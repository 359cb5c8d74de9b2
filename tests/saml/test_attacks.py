from urllib.parse import urlsplit
from saml2 import BINDING_HTTP_REDIRECT
from tests.saml.conftest import AMF_SP, IQEA_SP


def test_explore(client, amf_sp, iqea_sp, idp_metadata, auth, smtp, esm_person):
    sp = iqea_sp.client(idp_metadata)
    req_id, info = sp.prepare_for_authenticate(binding=BINDING_HTTP_REDIRECT, relay_state="rs1", sign=True, sigalg="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256")
    loc = dict(info["headers"])["Location"]
    print(loc)
    u = urlsplit(loc)
    r = client.get(f"{u.path}?{u.query}")
    print(r.status_code, r.headers.get("Location"))
    r2 = client.get(r.headers["Location"])
    print(r2.status_code, r2.headers.get("Location"))
    r3 = auth.password_step(esm_person.user_code, esm_person.password)
    print(r3.status_code, r3.headers.get("Location"))
    r4 = auth.code_step(smtp.last_code(esm_person.email))
    print(r4.status_code, r4.headers.get("Location"))
    r5 = client.get(r.headers["Location"])
    print(r5.status_code, r5.headers.get("Location"))
    html = r5.get_data(as_text=True)
    print(html[html.find("<main"):][:3000])
    from tests.conftest import csrf_token
    r6 = client.post(r.headers["Location"], data={"decision": "allow", "csrf_token": csrf_token(html)})
    html = r6.get_data(as_text=True)
    print(r6.status_code, html[html.find("<main"):][:3000])
