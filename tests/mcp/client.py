"""The official MCP Python SDK (`mcp` 2.x) against the Worker's MCP endpoint: it negotiates
by itself (probing `server/discover` first), lists the tools and calls one.

Run by tests/api/mcp.rs with EDGE_API_URL, MCP_TOKEN and MCP_TOOLS as for client-v1.mjs, in
the virtual environment scripts/setup.sh keeps.
"""

import asyncio
import os
import uuid

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client


async def main() -> None:
    url = f"{os.environ['EDGE_API_URL']}/demo/mcp"
    headers = {"Authorization": f"Bearer {os.environ['MCP_TOKEN']}"}
    expected = sorted(os.environ["MCP_TOOLS"].split(","))
    async with httpx2.AsyncClient(headers=headers) as http:
        async with Client(streamable_http_client(url, http_client=http)) as client:
            listed = await client.list_tools()
            assert sorted(tool.name for tool in listed.tools) == expected, listed.tools
            email = f"mcp-py-{uuid.uuid4().hex}@example.com"
            created = await client.call_tool(
                "commercetools_customers_create_customers",
                {"email": email, "password": "secret123"},
            )
            assert not created.is_error, created.content
            customer = created.structured_content["customer"]
            assert customer["email"] == email
            stale = await client.call_tool(
                "commercetools_customers_update_customers_by_id",
                {"ID": customer["id"], "version": 7, "actions": []},
            )
            assert stale.is_error
            assert stale.structured_content["errors"][0]["code"] == "ConcurrentModification"
    print("official MCP client (Python): ok")


asyncio.run(main())
