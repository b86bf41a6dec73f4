#!/usr/bin/env python3
"""Interop fixtures for Halo's token library, made and checked by PyJWT (a JWT library no one here wrote).

  jwt_fixtures.py make --seed HEX --now SECONDS [--kid K] [--iss I] [--aud A]
      Prints a JSON object of named tokens signed by the Ed25519 key derived from the seed, at time `now`.
  jwt_fixtures.py verify --iss I --aud A < {"token": "...", "jwks": "<JWKS JSON text>"}
      Parses the JWKS with PyJWK, verifies the token with PyJWT (EdDSA only, real clock) and prints
      {"ok": bool, "error": str?, "header": {...}, "claims": {...}, "jwks": [{"kid", "algorithm"}]}.

Needs `pip install PyJWT cryptography`.
"""

import argparse
import base64
import hashlib
import hmac
import json
import sys

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_json(value) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode("utf-8"))


def make(args) -> dict:
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(args.seed))
    other_key = Ed25519PrivateKey.generate()
    public_raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    now = args.now
    headers = {"kid": args.kid, "typ": "at+jwt"}

    def claims(**overrides):
        base = {"iss": args.iss, "sub": "user-1", "aud": args.aud, "iat": now, "exp": now + 900,
                "jti": "jti-" + str(len(overrides)), "adult": True, "admin": False}
        base.update(overrides)
        return {name: value for name, value in base.items() if value is not None}

    def signed(payload, header=None, signing_key=key):
        return jwt.encode(payload, signing_key, algorithm="EdDSA", headers=header or headers)

    def hs256(secret: bytes) -> str:
        signing_input = b64url_json({"alg": "HS256", "typ": "at+jwt", "kid": args.kid}) + "." + b64url_json(claims())
        mac = hmac.new(secret, signing_input.encode("ascii"), hashlib.sha256).digest()
        return signing_input + "." + b64url(mac)

    def unsigned(alg: str) -> str:
        return b64url_json({"alg": alg, "typ": "at+jwt", "kid": args.kid}) + "." + b64url_json(claims()) + "."

    valid = signed(claims())
    header_part, _, signature_part = valid.split(".")
    tampered = header_part + "." + b64url_json(claims(sub="user-2", admin=True)) + "." + signature_part

    return {
        "valid": valid,
        "valid_audience_list": signed(claims(aud=["other-service", args.aud])),
        "valid_within_leeway": signed(claims(iat=now - 900, exp=now - 10)),
        "expired": signed(claims(iat=now - 3600, exp=now - 120)),
        "future_nbf": signed(claims(nbf=now + 300)),
        "future_iat": signed(claims(iat=now + 300, exp=now + 1200)),
        "missing_exp": signed(claims(exp=None)),
        "wrong_aud": signed(claims(aud="other-service")),
        "missing_aud": signed(claims(aud=None)),
        "wrong_iss": signed(claims(iss="https://evil.example")),
        "wrong_typ": signed(claims(), header={"kid": args.kid, "typ": "JWT"}),
        "refresh_typ": signed(claims(), header={"kid": args.kid, "typ": "refresh+jwt"}),
        "missing_kid": signed(claims(), header={"typ": "at+jwt"}),
        "unknown_kid": signed(claims(), header={"kid": "rotated-away", "typ": "at+jwt"}),
        "traversal_kid": signed(claims(), header={"kid": "../../dev/null", "typ": "at+jwt"}),
        "other_key": signed(claims(), signing_key=other_key),
        "tampered": tampered,
        "alg_none": unsigned("none"),
        "alg_None": unsigned("None"),
        "alg_NONE": unsigned("NONE"),
        "alg_nOnE": unsigned("nOnE"),
        "alg_none_pyjwt": jwt.encode(claims(), None, algorithm="none"),
        # PyJWT refuses to HMAC with a public key, so these are built by hand.
        "hs256_with_public_key": hs256(public_raw),
        "hs256_with_public_pem": hs256(public_pem),
    }


def verify(args) -> dict:
    request = json.load(sys.stdin)
    jwks = jwt.PyJWKSet.from_json(request["jwks"])
    summary = [{"kid": k.key_id, "algorithm": k.algorithm_name} for k in jwks.keys]
    try:
        header = jwt.get_unverified_header(request["token"])
        if header.get("typ") != "at+jwt":
            raise jwt.InvalidTokenError("typ is not at+jwt")
        signing_key = jwks[header["kid"]]
        claims = jwt.decode(
            request["token"], signing_key, algorithms=["EdDSA"], audience=args.aud, issuer=args.iss,
            options={"require": ["exp", "iat", "iss", "aud", "sub", "jti"]})
        return {"ok": True, "header": header, "claims": claims, "jwks": summary}
    except (jwt.PyJWTError, KeyError) as error:
        return {"ok": False, "error": f"{type(error).__name__}: {error}", "jwks": summary}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    make_parser = commands.add_parser("make")
    make_parser.add_argument("--seed", required=True)
    make_parser.add_argument("--now", type=int, required=True)
    make_parser.add_argument("--kid", default="key-1")
    make_parser.add_argument("--iss", default="https://auth.halo.test")
    make_parser.add_argument("--aud", default="halo-gateway")
    verify_parser = commands.add_parser("verify")
    verify_parser.add_argument("--iss", default="https://auth.halo.test")
    verify_parser.add_argument("--aud", default="halo-gateway")
    args = parser.parse_args()
    result = make(args) if args.command == "make" else verify(args)
    json.dump(result, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
