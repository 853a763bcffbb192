"""Short ``Annotated`` aliases for the routes' dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security

from credit_scoring.serving.auth import Principal, require_scope
from credit_scoring.serving.state import Services


async def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]
ScoreKey = Annotated[Principal, Security(require_scope("score"))]
OutcomesKey = Annotated[Principal, Security(require_scope("outcomes"))]
ReadKey = Annotated[Principal, Security(require_scope("read"))]
AdminKey = Annotated[Principal, Security(require_scope("admin"))]
ReviewKey = Annotated[Principal, Security(require_scope("review"))]
