"""proto"""
from urllib.parse import urlsplit
import base64
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from tests.saml.conftest import second_client, world  # noqa

RSA = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"

def test_proto(client, auth, amf_sp, idp_metadata, esm_person):
    sp = amf_sp.client(idp_metadata)
    req_id, info = sp.prepare_for_authenticate(binding=BINDING_HTTP_REDIRECT, relay_state="rs1", sign=True, sigalg=RSA)
    print(info)
    loc = dict(info["headers"])["Location"]
    p = urlsplit(loc)
    r = client.get(p.path + "?" + p.query)
    print(r.status_code, r.headers.get("Location"))
    tok = r.headers["Location"]
    r = client.get(tok)
    print(r.status_code, r.headers.get("Location"))
    login = urlsplit(r.headers["Location"])
    auth.form_post(login.path + "?" + login.query, {"user_code": esm_person.user_code, "password": esm_person.password})
    r = auth.code_step(auth.smtp.last_code(esm_person.email))
    print(r.status_code, r.headers.get("Location"))
    r = client.get(r.headers["Location"])
    print(r.status_code, r.get_data(as_text=True)[-3000:])
    req_id2, info2 = sp.prepare_for_authenticate(binding=BINDING_HTTP_POST, relay_state="rs2", sign=True, sigalg=RSA)
    print(info2)
    assert 0
