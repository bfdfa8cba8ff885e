"""The Robot accounts tab (owners): machine accounts for CI, their secret shown once."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from orgs.errors import OrgError
from orgs.forms import RobotCreateForm, add_org_error
from orgs.robots import robot_create, robot_delete
from orgs.selectors import namespace_robots, robot_get
from orgs.views.common import OWNERS, org_context, org_for


@require_http_methods(["GET", "POST"])
def robots_tab(request, org: str):
    """The robots; creating one answers with its secret in this page itself, never stored
    anywhere (not in the session either), so it is shown exactly once."""
    org, access = org_for(request, org, see=OWNERS)
    form = RobotCreateForm(request.POST if request.method == "POST" else None, namespace=org)
    new_robot = None
    if request.method == "POST" and form.is_valid():
        try:
            robot, raw = robot_create(namespace=org, created_by=request.user, **form.robot_fields())
        except OrgError as error:
            add_org_error(form, error)
        else:
            new_robot = {"namespace": org.name, "name": robot.full_name, "secret": raw}
            form = RobotCreateForm(namespace=org)
    context = {
        **org_context(org, access, "robots"),
        "robots": namespace_robots(namespace=org),
        "form": form,
        "new_robot": new_robot,
    }
    response = render(request, "orgs/robots.html", context)
    if new_robot:
        response["Cache-Control"] = "no-store"
    return response


@require_POST
def robot_remove(request, org: str, name: str):
    org, _ = org_for(request, org, see=OWNERS)
    robot = robot_get(namespace=org, name=name)
    full_name = robot.full_name
    robot_delete(robot=robot)
    messages.success(request, f"Deleted {full_name}. Anything still using its secret fails now.")
    return redirect("org-robots", org=org.name)
