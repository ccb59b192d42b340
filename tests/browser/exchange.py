"""Exchanges a Link public token for an account token with Merge's official Python SDK, as a
customer's backend does; or lists the organization's linked accounts. Used by link.test.mjs.

    exchange.py --base-url http://127.0.0.1:PORT --api-key KEY PUBLIC_TOKEN
        prints {"account_token", "integration_slug", "id"}; exits 3 when the API refuses
    exchange.py --base-url http://127.0.0.1:PORT --api-key KEY --list-linked-accounts
        prints {"ids": [...], "integrations": {id: slug}}
"""

import argparse
import json
import sys

from merge import Merge
from merge.core.api_error import ApiError


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", required=True, help="Joinery's public URL, without /api")
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--list-linked-accounts", action="store_true")
    parser.add_argument("public_token", nargs="?")
    args = parser.parse_args()

    # The SDK's base URL includes /api (MergeEnvironment.PRODUCTION is https://api.merge.dev/api);
    # the account token is not needed for the organization-level calls made here.
    client = Merge(api_key=args.api_key, account_token="unused", base_url=args.base_url.rstrip("/") + "/api")
    try:
        if args.list_linked_accounts:
            ids, integrations, cursor = [], {}, None
            while True:
                page = client.hris.linked_accounts.list(page_size=100, cursor=cursor)
                for account in page.results or []:
                    ids.append(account.id)
                    integrations[account.id] = account.integration.slug if account.integration else None
                cursor = page.next
                if not cursor:
                    break
            print(json.dumps({"ids": ids, "integrations": integrations}))
            return 0
        if not args.public_token:
            parser.error("PUBLIC_TOKEN is required")
        token = client.hris.account_token.retrieve(public_token=args.public_token)
        print(json.dumps({"account_token": token.account_token, "integration_slug": token.integration.slug, "id": token.id}))
        return 0
    except ApiError as e:
        print(json.dumps({"status_code": e.status_code, "body": e.body}, default=str))
        return 3


if __name__ == "__main__":
    sys.exit(main())
