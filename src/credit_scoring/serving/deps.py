"""Short ``Annotated`` aliases for the routes' dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from credit_scoring.serving.auth import Principal, require_scope
from credit_scoring.serving.state import Services


async def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]
ScoreKey = Annotated[Principal, Depends(require_scope("score"))]
ReadKey = Annotated[Principal, Depends(require_scope("read"))]
AdminKey = Annotated[Principal, Depends(require_scope("admin"))]
