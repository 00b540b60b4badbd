"""Drives the Worker with the commercetools Python SDK (`commercetools` on PyPI, its builder
API), unchanged: only the URLs point at the local Worker. The back office creates, queries
(`with_total`), updates, signs in, resets a password and deletes with `data_erasure=True`;
then a shopper signs up from an anonymous session and uses `/me`.

Run by tests/api/sdk.rs with EDGE_API_URL set to the running `wrangler dev`, in the virtual
environment scripts/setup.sh installs (tests/sdk/python-requirements.txt).
"""

import os
import random
import time

import requests
from commercetools import CommercetoolsError
from commercetools.platform import Client
from commercetools.platform.models import (
    CustomerCreatePasswordResetToken,
    CustomerDraft,
    CustomerResetPassword,
    CustomerSetFirstNameAction,
    CustomerSignin,
    CustomerUpdate,
    MyCustomerChangePassword,
    MyCustomerDraft,
    MyCustomerSetLastNameAction,
    MyCustomerUpdate,
)
from commercetools.utils import BaseTokenSaver

HOST = os.environ["EDGE_API_URL"]
PROJECT = "demo"
# The local Worker speaks plain HTTP; the OAuth library refuses that unless told.
os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
SUFFIX = f"{int(time.time() * 1000)}-{random.randrange(10**9)}"


class GivenToken(BaseTokenSaver):
    """Hands the SDK a token obtained elsewhere (a password-flow or anonymous session)."""

    def __init__(self, token):
        self.token = token

    def get_token(self, client_id, scopes):
        return self.token

    def add_token(self, client_id, scopes, token):
        self.token = token


def client(client_id, secret, scopes, token=None):
    return Client(
        client_id=client_id,
        client_secret=secret,
        scope=scopes,
        url=HOST,
        token_url=f"{HOST}/oauth/token",
        token_saver=GivenToken(token) if token else None,
    ).with_project_key(PROJECT)


def oauth(path, form):
    reply = requests.post(
        f"{HOST}{path}",
        auth=("demo-storefront", "demo-storefront-secret"),
        data=form,
        timeout=30,
    )
    assert reply.status_code == 200, reply.text
    return reply.json()


def storefront(token):
    return client(
        "demo-storefront", "demo-storefront-secret", [f"manage_my_profile:{PROJECT}"], token
    )


def fails(call, status, code):
    """`call` must raise the SDK's error with this status and first error code."""
    try:
        call()
    except CommercetoolsError as error:
        assert error.codes[0] == code, (error.codes, error)
        assert error.response.status_code == status, error.response.status_code
        assert error.correlation_id, "every answer carries X-Correlation-ID"
        return error
    raise AssertionError(f"expected {status} {code}")


def back_office():
    api = client("demo-admin", "demo-admin-secret", [f"manage_project:{PROJECT}"])
    email = f"py-{SUFFIX}@example.com"
    created = api.customers().post(CustomerDraft(email=email, password="py-secret", first_name="Py"))
    customer = created.customer
    assert customer.email == email and customer.version == 1

    page = api.customers().get(where=[f'lowercaseEmail = "{email}"'], with_total=True)
    assert page.count == 1 and page.total == 1, page
    page = api.customers().get(where=[f'lowercaseEmail = "{email}"'], with_total=False)
    assert page.count == 1 and page.total is None, page

    updated = (
        api.customers()
        .with_id(customer.id)
        .post(CustomerUpdate(version=1, actions=[CustomerSetFirstNameAction(first_name="Updated")]))
    )
    assert updated.first_name == "Updated" and updated.version == 2

    signed_in = api.login().post(CustomerSignin(email=email.upper(), password="py-secret"))
    assert signed_in.customer.id == customer.id
    fails(
        lambda: api.login().post(CustomerSignin(email=email, password="wrong")),
        400,
        "InvalidCredentials",
    )

    token = api.customers().password_token().post(CustomerCreatePasswordResetToken(email=email))
    reset = api.customers().password_reset().post(
        CustomerResetPassword(token_value=token.value, new_password="py-new")
    )
    assert reset.version == 3
    assert api.login().post(CustomerSignin(email=email, password="py-new")).customer.id == customer.id

    deleted = api.customers().with_id(customer.id).delete(version=3, data_erasure=True)
    assert deleted.id == customer.id
    assert api.customers().with_id(customer.id).get() is None


def me_journey():
    email = f"py-me-{SUFFIX}@example.com"
    anonymous = oauth(
        f"/oauth/{PROJECT}/anonymous/token", {"grant_type": "client_credentials"}
    )
    signed_up = (
        storefront(anonymous)
        .me()
        .signup()
        .post(MyCustomerDraft(email=email, password="me-first", first_name="Py"))
    )
    assert signed_up.customer.email == email
    fails(
        lambda: storefront(anonymous)
        .me()
        .signup()
        .post(MyCustomerDraft(email=f"again-{email}", password="x")),
        400,
        "AnonymousIdAlreadyInUse",
    )

    session = oauth(
        f"/oauth/{PROJECT}/customers/token",
        {"grant_type": "password", "username": email, "password": "me-first"},
    )
    me = storefront(session).me()
    assert me.get().id == signed_up.customer.id
    updated = me.post(
        MyCustomerUpdate(version=1, actions=[MyCustomerSetLastNameAction(last_name="Shopper")])
    )
    assert updated.last_name == "Shopper" and updated.version == 2
    fails(
        lambda: me.password().post(
            MyCustomerChangePassword(version=2, current_password="nope", new_password="me-second")
        ),
        400,
        "InvalidCurrentPassword",
    )
    changed = me.password().post(
        MyCustomerChangePassword(version=2, current_password="me-first", new_password="me-second")
    )
    assert changed.version == 3

    session = oauth(
        f"/oauth/{PROJECT}/customers/token",
        {"grant_type": "password", "username": email, "password": "me-second"},
    )
    deleted = storefront(session).me().delete(version=3)
    assert deleted.id == signed_up.customer.id


back_office()
me_journey()
print("python SDK journey: ok")
