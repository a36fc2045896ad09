#!/usr/bin/env python3
"""Preloads a running SCIM server over HTTP, as a directory would: USERS users POSTed one by
one (the same user as load-server's), then one group of MEMBERS of them. Writes the group's
id, then the users' ids, one per line, to IDS (the file bench/wrk/scim.lua reads).

    bench/preload.py BASE_URL TOKEN USERS MEMBERS IDS
"""
import http.client
import json
import sys
import urllib.parse

base, token, users, members, ids_file = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
url = urllib.parse.urlsplit(base)
connection = http.client.HTTPConnection(url.hostname, url.port)
headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"}


def send(method, path, body):
    connection.request(method, url.path + path, json.dumps(body), headers)
    response = connection.getresponse()
    text = response.read()
    if response.status >= 300:
        sys.exit(f"{method} {path}: {response.status} {text[:300]!r}")
    return json.loads(text) if text else None


def user(i):
    return {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
        "externalId": f"ext-{i}",
        "userName": f"user{i}",
        "name": {"formatted": "Ms. Barbara J Jensen, III", "familyName": "Jensen",
                 "givenName": "Barbara", "middleName": "Jane"},
        "displayName": f"Babs Jensen {i}",
        "nickName": "Babs",
        "emails": [{"value": f"user{i}@example.com", "type": "work", "primary": True},
                   {"value": f"babs{i}@jensen.org", "type": "home"}],
        "phoneNumbers": [{"value": "555-555-5555", "type": "work"}],
        "title": "Tour Guide",
        "userType": "Employee",
        "preferredLanguage": "en-US",
        "locale": "en-US",
        "timezone": "America/Los_Angeles",
        "active": True,
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
            "employeeNumber": f"{i}", "costCenter": "4130", "organization": "Universal Studios",
            "division": "Theme Park", "department": "Tour Operations"},
    }


ids = [send("POST", "/Users", user(i))["id"] for i in range(users)]
group = send("POST", "/Groups", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                                 "displayName": "Everyone"})["id"]
patch = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
for start in range(0, min(members, len(ids)), 1000):
    chunk = [{"value": i} for i in ids[start:min(start + 1000, members)]]
    send("PATCH", f"/Groups/{group}", {"schemas": [patch],
                                        "Operations": [{"op": "add", "path": "members", "value": chunk}]})
with open(ids_file, "w") as out:
    out.write(group + "\n")
    out.write("\n".join(ids) + "\n")
