"""Accounts and sessions: register, login, refresh rotation, logout, sessions,
password change, disabled users, cookies, rate limits and the audit log."""
import base64
import concurrent.futures
import http.client
import json
import os
import subprocess
import time
import urllib.parse
import uuid

import pytest
import requests

from conftest import BIN

PASSWORD = "correct horse battery staple"


def email():
    return f"user-{uuid.uuid4().hex[:10]}@example.org"


def register(server, mail=None, password=PASSWORD, **extra):
    r = requests.post(server.url + "/api/auth/register",
                      json={"email": mail or email(), "password": password, **extra})
    assert r.status_code == 201, r.text
    return r.json()


def login(server, mail, password=PASSWORD, headers=None):
    return requests.post(server.url + "/api/auth/login", json={"email": mail, "password": password},
                         headers=headers or {})


def bearer(token):
    return {"Authorization": "Bearer " + token}


def me(server, token):
    return requests.get(server.url + "/api/auth/me", headers=bearer(token))


def refresh(server, token):
    return requests.post(server.url + "/api/auth/refresh", json={"refresh_token": token})


def test_register_shape_and_cookie(server):
    mail = email()
    r = requests.post(server.url + "/api/auth/register",
                      json={"email": "  " + mail.upper() + " ", "password": PASSWORD,
                            "full_name": "Ada Lovelace", "unknown_field": 1})
    assert r.status_code == 201
    body = r.json()
    assert set(body) == {"user", "access_token", "refresh_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 900
    u = body["user"]
    assert u["email"] == mail  # trimmed and lower-cased
    assert u["full_name"] == "Ada Lovelace"
    assert u["is_active"] is True and u["is_admin"] is False
    assert uuid.UUID(u["id"])
    assert u["created_at"].endswith("Z")
    assert len(body["refresh_token"]) == 64
    cookie = r.headers["Set-Cookie"]
    assert cookie.startswith("mtag_refresh=" + body["refresh_token"] + ";")
    for attr in ["Path=/api/auth", "HttpOnly", "SameSite=Strict", "Max-Age=604800"]:
        assert attr in cookie
    assert "Secure" not in cookie  # MTAG_PUBLIC_URL is http here
    # The access token is a JWT signed with HS256 carrying our claims.
    header, payload, _ = body["access_token"].split(".")
    pad = lambda s: s + "=" * (-len(s) % 4)
    assert json.loads(base64.urlsafe_b64decode(pad(header))) == {"alg": "HS256", "typ": "JWT"}
    claims = json.loads(base64.urlsafe_b64decode(pad(payload)))
    assert claims["sub"] == u["id"] and claims["type"] == "access" and claims["iss"] == "mtag"
    assert claims["exp"] - claims["iat"] == 900 and uuid.UUID(claims["sid"])
    r = me(server, body["access_token"])
    assert r.status_code == 200 and r.json() == u


def test_register_taken_email_is_409(server):
    mail = email()
    register(server, mail)
    r = requests.post(server.url + "/api/auth/register",
                      json={"email": mail.upper(), "password": "another password"})
    assert r.status_code == 409
    assert r.json() == {"detail": "email: an account with this email already exists", "code": "conflict"}


@pytest.mark.parametrize("body,field", [
    ({"password": PASSWORD}, "email"),
    ({"email": "a@b.co"}, "password"),
    ({"email": "no-at-sign", "password": PASSWORD}, "email"),
    ({"email": "two@@example.org", "password": PASSWORD}, "email"),
    ({"email": "a@nodot", "password": PASSWORD}, "email"),
    ({"email": "sp ace@example.org", "password": PASSWORD}, "email"),
    ({"email": "x" * 250 + "@ex.org", "password": PASSWORD}, "email"),
    ({"email": 42, "password": PASSWORD}, "email"),
    ({"email": "short@example.org", "password": "1234567"}, "password"),
    ({"email": "long@example.org", "password": "p" * 1025}, "password"),
    ({"email": "same@example.org", "password": "SAME@example.org"}, "password"),
    ({"email": "name@example.org", "password": PASSWORD, "full_name": "n" * 256}, "full_name"),
])
def test_register_validation_names_the_field(server, body, field):
    r = requests.post(server.url + "/api/auth/register", json=body)
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "validation_error"
    assert r.json()["field"] == field
    assert r.json()["detail"].startswith(field + ": ")


def test_password_length_counts_characters(server):
    # 8 characters of two bytes each pass; 1024 four-byte characters pass.
    register(server, password="éééééééé")
    register(server, password="😀" * 1024)


def test_json_body_errors(server):
    url = server.url + "/api/auth/login"
    r = requests.post(url, data="email=a&password=b",
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 415 and r.json()["code"] == "unsupported_media_type"
    r = requests.post(url, data='{"email": "a@b.co", "password": ', headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["code"] == "bad_request"
    assert "malformed JSON" in r.json()["detail"]
    r = requests.post(url, data='["a", "b"]', headers={"Content-Type": "application/json"})
    assert r.status_code == 422
    r = requests.post(url, data='{"email":"a@b.co","email":"c@d.co","password":"x"}',
                      headers={"Content-Type": "application/json; charset=utf-8"})
    assert r.status_code == 400 and "duplicate" in r.json()["detail"]
    big = json.dumps({"email": "a@b.co", "password": "x" * (2 << 20)})
    r = requests.post(url, data=big, headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["code"] == "too_large"
    assert server.proc.poll() is None


def test_login_and_uniform_failures(server):
    mail = email()
    register(server, mail, full_name="Grace")
    r = login(server, " " + mail.upper())
    assert r.status_code == 200
    body = r.json()
    assert body["user"]["email"] == mail and body["token_type"] == "bearer"
    assert me(server, body["access_token"]).status_code == 200
    wrong = login(server, mail, "wrong password!")
    unknown = login(server, "nobody-" + mail, "wrong password!")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"detail": "incorrect email or password", "code": "unauthorized"}
    assert wrong.headers["WWW-Authenticate"] == "Bearer"


def test_me_requires_a_valid_token(server):
    r = requests.get(server.url + "/api/auth/me")
    assert r.status_code == 401 and r.headers["WWW-Authenticate"] == "Bearer"
    assert r.json()["code"] == "unauthorized"
    assert me(server, "not.a.token").status_code == 401
    body = register(server)
    token = body["access_token"]
    h, p, s = token.split(".")
    none_header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    assert me(server, f"{none_header}.{p}.").status_code == 401
    assert me(server, f"{none_header}.{p}.{s}").status_code == 401
    tampered = base64.urlsafe_b64encode(
        json.dumps({**json.loads(base64.urlsafe_b64decode(p + "==")), "sub": str(uuid.uuid4())}).encode()
    ).rstrip(b"=").decode()
    assert me(server, f"{h}.{tampered}.{s}").status_code == 401
    assert me(server, token).status_code == 200
    r = requests.get(server.url + "/api/auth/me", headers={"Authorization": "Basic " + token})
    assert r.status_code == 401
    # White space around the token is not part of it.
    r = requests.get(server.url + "/api/auth/me", headers={"Authorization": "Bearer \t" + token + " \t"})
    assert r.status_code == 200
    r = requests.get(server.url + "/api/auth/me", headers={"Authorization": "Bearer  \t "})
    assert r.status_code == 401


def test_refresh_rotates(server):
    body = register(server)
    r = refresh(server, body["refresh_token"])
    assert r.status_code == 200
    new = r.json()
    assert set(new) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert new["refresh_token"] != body["refresh_token"]
    assert me(server, new["access_token"]).status_code == 200
    assert r.headers["Set-Cookie"].startswith("mtag_refresh=" + new["refresh_token"])
    third = refresh(server, new["refresh_token"])
    assert third.status_code == 200


def test_reuse_of_a_rotated_token_ends_the_session(server):
    body = register(server)
    t1 = body["refresh_token"]
    t2 = refresh(server, t1).json()
    t3 = refresh(server, t2["refresh_token"]).json()
    # t1's replacement (t2) was itself rotated: presenting t1 is a theft signal.
    r = refresh(server, t1)
    assert r.status_code == 401
    assert r.json()["detail"] == "this refresh token was already used; the session has been ended"
    assert refresh(server, t3["refresh_token"]).status_code == 401
    assert me(server, t3["access_token"]).status_code == 401
    assert me(server, body["access_token"]).status_code == 401
    events = [row[0] for row in server.query(
        f"SELECT event FROM audit_log WHERE user_id = '{body['user']['id']}' ORDER BY created_at")]
    assert events == ["register", "refresh_reuse"]


def test_double_submit_within_grace_keeps_the_session(server):
    body = register(server)
    first = refresh(server, body["refresh_token"])
    second = refresh(server, body["refresh_token"])  # e.g. two tabs at once
    assert first.status_code == 200 and second.status_code == 200
    # The one replacement, twice: a session keeps one chain of tokens.
    token = first.json()["refresh_token"]
    assert second.json()["refresh_token"] == token
    assert me(server, second.json()["access_token"]).status_code == 200
    assert me(server, first.json()["access_token"]).status_code == 200
    third = refresh(server, token)
    assert third.status_code == 200
    # The old token again, once its replacement was used: a reuse, the session ends.
    r = refresh(server, body["refresh_token"])
    assert r.status_code == 401 and "already used" in r.json()["detail"]
    assert refresh(server, third.json()["refresh_token"]).status_code == 401


def test_concurrent_refreshes_get_one_replacement(server):
    """Eight presentations of one token at once: one replacement, not eight live chains."""
    body = register(server)
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda _: refresh(server, body["refresh_token"]), range(8)))
    assert [r.status_code for r in got] == [200] * 8
    assert len({r.json()["refresh_token"] for r in got}) == 1
    (count,), = server.query(
        f"SELECT count(*) FROM refresh_tokens WHERE user_id = '{body['user']['id']}'")
    assert int(count) == 2


def test_reuse_after_the_grace_ends_the_session(server):
    body = register(server)
    t2 = refresh(server, body["refresh_token"]).json()
    time.sleep(10.5)
    assert refresh(server, body["refresh_token"]).status_code == 401
    assert me(server, t2["access_token"]).status_code == 401


def test_refresh_failures(server):
    assert refresh(server, "0" * 64).status_code == 401
    assert refresh(server, "short").status_code == 401
    r = requests.post(server.url + "/api/auth/refresh", json={})
    assert r.status_code == 401
    r = requests.post(server.url + "/api/auth/refresh", json={"refresh_token": 5})
    assert r.status_code == 422 and r.json()["field"] == "refresh_token"


def test_cookie_flow(server):
    s = requests.Session()
    r = s.post(server.url + "/api/auth/register", json={"email": email(), "password": PASSWORD})
    assert r.status_code == 201
    # The cookie alone refreshes, but only with a JSON content type.
    r = s.post(server.url + "/api/auth/refresh", data="",
               headers={"Content-Type": "text/plain"})
    assert r.status_code == 415
    r = s.post(server.url + "/api/auth/refresh", json={})
    assert r.status_code == 200, r.text
    access = r.json()["access_token"]
    assert s.cookies.get("mtag_refresh") == r.json()["refresh_token"]
    r = s.post(server.url + "/api/auth/logout", data="", headers={"Content-Type": "application/json"})
    assert r.status_code == 200 and r.json() == {"message": "logged out"}
    assert "Max-Age=0" in r.headers["Set-Cookie"]
    assert me(server, access).status_code == 401


def test_logout_kills_access_and_refresh_tokens(server):
    body = register(server)
    # A malformed body is refused before the session ends, bearer token or not.
    for data, status in (("{not json", 400), ('{"refresh_token": 5}', 422), ("[]", 422)):
        r = requests.post(server.url + "/api/auth/logout", data=data,
                          headers={**bearer(body["access_token"]), "Content-Type": "application/json"})
        assert r.status_code == status and "detail" in r.json(), (data, r.status_code, r.text)
    assert me(server, body["access_token"]).status_code == 200
    r = requests.post(server.url + "/api/auth/logout", headers=bearer(body["access_token"]))
    assert r.status_code == 200 and r.json() == {"message": "logged out"}
    assert me(server, body["access_token"]).status_code == 401
    assert refresh(server, body["refresh_token"]).status_code == 401
    r = requests.post(server.url + "/api/auth/logout", headers=bearer(body["access_token"]))
    assert r.status_code == 401
    assert requests.post(server.url + "/api/auth/logout").status_code == 401


def test_logout_all_and_sessions(server):
    mail = email()
    a = register(server, mail)
    b = login(server, mail, headers={"User-Agent": "phone-browser/1.0"}).json()
    r = requests.get(server.url + "/api/auth/sessions", headers=bearer(a["access_token"]))
    assert r.status_code == 200
    sessions = r.json()["sessions"]
    assert len(sessions) == 2
    assert sessions[0]["user_agent"] == "phone-browser/1.0"  # most recently used first
    assert [s["current"] for s in sessions] == [False, True]
    assert all(s["ip"] == "127.0.0.1" and s["created_at"].endswith("Z") for s in sessions)
    r = requests.post(server.url + "/api/auth/logout-all", headers=bearer(b["access_token"]))
    assert r.status_code == 200 and r.json()["sessions_revoked"] == 2
    assert me(server, a["access_token"]).status_code == 401
    assert me(server, b["access_token"]).status_code == 401


def test_delete_a_session(server):
    mail = email()
    a = register(server, mail)
    b = login(server, mail).json()
    other = register(server)
    sessions = requests.get(server.url + "/api/auth/sessions", headers=bearer(a["access_token"])).json()["sessions"]
    b_id = next(s["id"] for s in sessions if not s["current"])
    # Another user cannot see or end it.
    r = requests.delete(server.url + "/api/auth/sessions/" + b_id, headers=bearer(other["access_token"]))
    assert r.status_code == 404
    assert me(server, b["access_token"]).status_code == 200
    r = requests.delete(server.url + "/api/auth/sessions/" + b_id, headers=bearer(a["access_token"]))
    assert r.status_code == 200 and r.json() == {"message": "session ended", "session_id": b_id}
    assert me(server, b["access_token"]).status_code == 401
    assert me(server, a["access_token"]).status_code == 200
    r = requests.delete(server.url + "/api/auth/sessions/not-a-uuid", headers=bearer(a["access_token"]))
    assert r.status_code == 404


def test_a_user_agent_that_is_not_utf8_is_kept_clean(server):
    """The user agent is shown, never checked: Latin-1 bytes, or a character cut at the
    256-byte limit, neither fail a login or a refresh nor reach the sessions list."""
    mail = email()
    register(server, mail)
    for ua, shown in [(b"Mozilla caf\xe9", "Mozilla caf?"),
                      (b"U" * 255 + "é".encode(), "U" * 255)]:
        r = login(server, mail, headers={"User-Agent": ua})
        assert r.status_code == 200, r.text
        tokens = r.json()
        r = requests.post(server.url + "/api/auth/refresh",
                          json={"refresh_token": tokens["refresh_token"]}, headers={"User-Agent": ua})
        assert r.status_code == 200, r.text
        sessions = requests.get(server.url + "/api/auth/sessions",
                                headers=bearer(r.json()["access_token"])).json()["sessions"]
        assert [s["user_agent"] for s in sessions if s["current"]] == [shown]


def test_emails_that_only_look_alike_are_one_account(server):
    """Case is folded for every letter, not ASCII only; a decomposed letter or an invisible
    character, which would make a look-alike of another address, is refused."""
    tag = uuid.uuid4().hex[:8]
    first = f"ü-{tag}@exämple.com"
    register(server, first)
    for same in [f"Ü-{tag}@exämple.com", f"ü-{tag}@EXÄMPLE.COM", f" Ü-{tag}@ExÄmple.com "]:
        r = requests.post(server.url + "/api/auth/register", json={"email": same, "password": PASSWORD})
        assert r.status_code == 409, (same, r.text)
    for confusing in [f"u\u0308-{tag}@exämple.com", f"ü-{tag}@exa\u0308mple.com",
                      f"ü\u200b-{tag}@exämple.com", f"\u202eü-{tag}@exämple.com"]:
        r = requests.post(server.url + "/api/auth/register", json={"email": confusing, "password": PASSWORD})
        assert r.status_code == 422, (confusing, r.text)
        assert r.json()["field"] == "email"
    assert login(server, f"Ü-{tag}@EXÄMPLE.COM").status_code == 200
    # An account made when only ASCII was lower-cased logs in as it was typed then; the next
    # start (here: a command of the CLI) re-keys it, and its look-alike cannot register.
    old = register(server)
    legacy = f"Ö-{tag}@legacy.example"
    server.execute(f"UPDATE users SET email = '{legacy}' WHERE id = '{old['user']['id']}'")
    assert login(server, f"Ö-{tag}@LEGACY.example").status_code == 200
    r = server.mtag("user", "list")
    assert r.returncode == 0 and f"ö-{tag}@legacy.example" in r.stdout and legacy not in r.stdout
    assert "event=auth.emails_rekeyed users=1" in r.stderr
    r = requests.post(server.url + "/api/auth/register",
                      json={"email": f"ö-{tag}@legacy.example", "password": PASSWORD})
    assert r.status_code == 409
    assert login(server, f"Ö-{tag}@legacy.example").status_code == 200


def test_change_password(server):
    mail = email()
    a = register(server, mail)
    b = login(server, mail).json()
    url = server.url + "/api/auth/change-password"
    r = requests.post(url, json={"current_password": "wrong one!", "new_password": "new password 1"},
                      headers=bearer(a["access_token"]))
    assert r.status_code == 422 and r.json()["field"] == "current_password"
    r = requests.post(url, json={"current_password": PASSWORD, "new_password": "short"},
                      headers=bearer(a["access_token"]))
    assert r.status_code == 422 and r.json()["field"] == "new_password"
    r = requests.post(url, json={"current_password": PASSWORD, "new_password": "new password 1"},
                      headers=bearer(a["access_token"]))
    assert r.status_code == 200
    assert me(server, a["access_token"]).status_code == 200   # this session goes on
    assert me(server, b["access_token"]).status_code == 401   # the others end
    assert login(server, mail).status_code == 401
    assert login(server, mail, "new password 1").status_code == 200
    assert requests.post(url, json={}, headers={}).status_code == 401


def test_disabled_user(server):
    mail = email()
    a = register(server, mail)
    r = server.mtag("user", "disable", mail)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"{mail}: disabled; sessions ended"
    assert me(server, a["access_token"]).status_code == 401
    assert refresh(server, a["refresh_token"]).status_code == 401
    r = login(server, mail)
    assert r.status_code == 403 and r.json()["detail"] == "this account is disabled"
    assert server.mtag("user", "enable", mail).returncode == 0
    assert login(server, mail).status_code == 200


def test_cli_user_add_list_admin(server):
    mail = email()
    r = server.mtag("user", "add", mail, "--name", "Root Admin", "--admin", input="cli password 1\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"added {mail} (") and r.stdout.strip().endswith("as admin")
    body = login(server, mail, "cli password 1").json()
    assert body["user"]["is_admin"] is True and body["user"]["full_name"] == "Root Admin"
    r = server.mtag("user", "add", mail, input="cli password 1\n")
    assert r.returncode == 1 and "already exists" in r.stderr  # not a usage error
    r = server.mtag("user", "add", email(), input="short\n")
    assert r.returncode == 2 and "password: must be 8 to 1024 characters" in r.stderr
    r = server.mtag("user", "list")
    assert r.returncode == 0 and mail in r.stdout
    line = next(l for l in r.stdout.splitlines() if mail in l)
    assert line.split()[2:4] == ["yes", "yes"]
    # Columns line up by characters, whatever the letters.
    wide = f"zoë-{uuid.uuid4().hex[:6]}@exämple.org"
    assert server.mtag("user", "add", wide, input="cli password 1\n").returncode == 0
    lines = server.mtag("user", "list").stdout.splitlines()
    header, row = lines[0], next(l for l in lines if wide in l)
    assert row.index("yes") == header.index("active")
    assert server.mtag("user", "admin", mail, "--revoke").returncode == 0
    assert me(server, body["access_token"]).json()["is_admin"] is False
    r = server.mtag("user", "disable", "nobody@example.org")
    assert r.returncode == 1 and "no account" in r.stderr
    assert server.mtag("user", "frob").returncode == 2
    r = server.mtag("user", "list", "extra")
    assert (r.returncode, r.stderr.strip()) == (2, "mtag user list: unexpected argument 'extra'")


def test_cli_user_add_input(server):
    """A password of 1,024 four-byte characters is taken whole (it was cut at 4,095 bytes, and the
    account made with another password than given); a longer line is refused, not cut. A name
    must be UTF-8 without control characters, on the command line as through the API."""
    mail = email()
    long_pw = "\U0001F600" * 1024
    r = server.mtag("user", "add", mail, input=long_pw + "\n")
    assert r.returncode == 0, r.stderr
    assert login(server, mail, long_pw).status_code == 200
    r = server.mtag("user", "add", email(), input="\U0001F600" * 1025 + "\n")
    assert (r.returncode, r.stderr.splitlines()[-1]) == (2, "mtag user add: the password is too long (at most 1024 characters)")
    base = {k: v for k, v in os.environ.items() if not k.startswith("MTAG_")}
    env = {**base, **{k: v for k, v in server.env.items() if k.startswith("MTAG_")}}
    r = subprocess.run([BIN, "user", "add", email(), "--name", b"Bob\xff"], env=env,
                       input=b"cli password 1\n", capture_output=True, timeout=30)
    assert (r.returncode, r.stderr.splitlines()[-1]) == (2, b"mtag user add: full_name: must be UTF-8 text")
    r = requests.post(server.url + "/api/auth/register",
                      json={"email": email(), "password": PASSWORD, "full_name": "Bob\u001b[31mred"})
    assert (r.status_code, r.json()["detail"]) == (422, "full_name: must not hold control characters")


def test_cli_password_prompt_gives_the_echo_back(server):
    """Ctrl-C at the password prompt of a terminal leaves it echoing (it stayed silent)."""
    import pty
    import signal
    import termios
    env = {k: v for k, v in server.env.items() if k.startswith("MTAG_")}
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(BIN, [BIN, "user", "add", email()], env)
    seen, deadline = b"", time.monotonic() + 20
    while b"password: " not in seen and time.monotonic() < deadline:
        seen += os.read(fd, 4096)
    assert not termios.tcgetattr(fd)[3] & termios.ECHO  # silent while it asks
    os.kill(pid, signal.SIGINT)
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGINT
    assert termios.tcgetattr(fd)[3] & termios.ECHO
    os.close(fd)


def test_bcrypt_hash_is_verified_then_upgraded(server):
    mail = email()
    a = register(server, mail)
    # An account imported from the original system with a bcrypt hash of "U*U-password".
    bcrypt = "$2b$04$C6UzMDM.H6dfI/f/IKxGhuXQJ11A0Qzb0GWaKbzaGjtlJRlTpOyZK"
    server.execute(f"UPDATE users SET password_hash = '{bcrypt}' WHERE id = '{a['user']['id']}'")
    assert login(server, mail, "wrong password").status_code == 401
    assert login(server, mail, "U*U-password").status_code == 200
    (stored,), = server.query(f"SELECT password_hash FROM users WHERE id = '{a['user']['id']}'")
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert login(server, mail, "U*U-password").status_code == 200


def test_audit_log_records_the_story(server):
    mail = email()
    a = register(server, mail)
    login(server, mail, "bad password!")
    b = login(server, mail).json()
    requests.post(server.url + "/api/auth/logout", headers=bearer(b["access_token"]))
    rows = server.query(f"SELECT event, ip FROM audit_log WHERE user_id = '{a['user']['id']}' ORDER BY created_at, id")
    assert [r[0] for r in rows] == ["register", "login_failed", "login", "logout"]
    assert all(r[1] == "127.0.0.1" for r in rows)


def test_no_secret_in_the_log(server):
    mail = email()
    body = register(server, mail, password="never-log-this-password")
    login(server, mail, "never-log-this-password")
    refresh(server, body["refresh_token"])
    log = server.read_log(until=("event=http.access", "path=/api/auth/refresh"))
    (stored,), = server.query(f"SELECT password_hash FROM users WHERE id = '{body['user']['id']}'")
    for secret in ["never-log-this-password", body["access_token"], body["refresh_token"], stored]:
        assert secret not in log


def login_xff_fields(s, mail, password, fields):
    """A login with one X-Forwarded-For field per item of fields, in order; its status."""
    u = urllib.parse.urlparse(s.url)
    body = json.dumps({"email": mail, "password": password}).encode()
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    c.putrequest("POST", "/api/auth/login")
    c.putheader("Content-Type", "application/json")
    c.putheader("Content-Length", str(len(body)))
    for value in fields:
        c.putheader("X-Forwarded-For", value)
    c.endheaders(body)
    status = c.getresponse().status
    c.close()
    return status


def test_rate_limits(fresh_server):
    s = fresh_server(extra_env={"MTAG_RATE_LOGIN": "100", "MTAG_RATE_LOGIN_ACCOUNT": "3",
                                "MTAG_RATE_REGISTER": "2", "MTAG_TRUSTED_PROXIES": "127.0.0.1"})
    victim = email()
    r1 = requests.post(s.url + "/api/auth/register", json={"email": victim, "password": PASSWORD})
    r2 = requests.post(s.url + "/api/auth/register", json={"email": email(), "password": PASSWORD})
    r3 = requests.post(s.url + "/api/auth/register", json={"email": email(), "password": PASSWORD})
    assert (r1.status_code, r2.status_code, r3.status_code) == (201, 201, 429)
    assert int(r3.headers["Retry-After"]) >= 1 and r3.json()["code"] == "rate_limited"
    attacker = {"X-Forwarded-For": "203.0.113.7"}
    codes = [login(s, victim, "guess %d" % i, headers=attacker).status_code for i in range(4)]
    assert codes == [401, 401, 401, 429]
    r = login(s, victim, headers=attacker)
    assert r.status_code == 429 and 1 <= int(r.headers["Retry-After"]) <= 21
    # A proxy that appends its own X-Forwarded-For field after the client's (HAProxy) names
    # the address in its field: the client's own field, first, cannot choose another.
    assert login_xff_fields(s, victim, "guess 9", ["198.51.100.77", "203.0.113.7"]) == 429
    # The victim, from elsewhere, is not locked out by the attacker's address.
    assert login(s, victim, headers={"X-Forwarded-For": "198.51.100.9"}).status_code == 200
    # A proxy that is not trusted cannot choose the address it is limited by.
    s2 = fresh_server(extra_env={"MTAG_RATE_LOGIN_ACCOUNT": "2"})
    mail = email()
    requests.post(s2.url + "/api/auth/register", json={"email": mail, "password": PASSWORD})
    codes = [login(s2, mail, "x" * 8, headers={"X-Forwarded-For": "10.9.9.%d" % i}).status_code
             for i in range(3)]
    assert codes == [401, 401, 429]


def test_change_password_guesses_are_limited_as_logins(fresh_server):
    """A stolen access token cannot guess the password faster than the login form:
    each try of the current password takes from the account's login buckets."""
    s = fresh_server(extra_env={"MTAG_RATE_LOGIN_ACCOUNT": "3", "MTAG_RATE_REGISTER": "100"})
    mail = email()
    a = register(s, mail)
    url = s.url + "/api/auth/change-password"
    codes = [requests.post(url, json={"current_password": "guess %d" % i,
                                      "new_password": "new password 1"},
                           headers=bearer(a["access_token"])).status_code for i in range(3)]
    assert codes == [422, 422, 422]
    r = requests.post(url, json={"current_password": PASSWORD, "new_password": "new password 1"},
                      headers=bearer(a["access_token"]))
    assert r.status_code == 429 and r.json()["code"] == "rate_limited"
    assert 1 <= int(r.headers["Retry-After"]) <= 21
    # The same buckets as the login's: the form is closed to this address too.
    assert login(s, mail).status_code == 429
    assert login(s, mail, "new password 1").status_code == 429
