"""Form posts: every form in the portal is URL-encoded (hypermedia forms, with or without htmx)."""

from typing import Annotated, Any

from litestar.enums import RequestEncodingType
from litestar.params import Body

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
"""A posted form as a dict; a field posted several times (checkboxes of one name) comes as a list."""
