"""Working on a return offline: downloading it as a workbook to fill in. (Uploading it back,
previewing each change and confirming is the next step of issue 21.)"""

import io

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.db import DbSession
from app.returns import fillable_workbook, last_year
from app.returns.routes.common import AgencyPerson, view_or_404

router = APIRouter()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/returns/{return_id}/workbook")
def download_workbook(
    request: Request, session: DbSession, person: AgencyPerson, return_id: int
) -> Response:
    view = view_or_404(session, person, return_id)
    last = last_year.previous_return(session, view=view)
    target = io.BytesIO()
    fillable_workbook.write_fillable(
        view,
        secret=request.app.state.settings.secret,
        last_year=last_year.last_years_answers(view, last),
        target=target,
    )
    name = fillable_workbook.downloaded_name(view)
    return Response(
        target.getvalue(),
        media_type=XLSX,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )
