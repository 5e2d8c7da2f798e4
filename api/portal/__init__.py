"""The public portal (政府信息公开目录): catalogue, document pages, downloads and feeds."""

from api.portal.routes import router

__all__ = ["router"]
