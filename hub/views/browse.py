"""Finding repositories: the home page, Explore and Search."""

from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_safe

from hub.forms import ORDERING_CHOICES, search_filters
from hub.selectors import explore_sections, repository_search

SEARCH_PAGE_SIZE = 25


@require_safe
def home(request):
    context = {}
    if request.user.is_authenticated:
        context["sections"] = explore_sections(user=request.user)
    return render(request, "hub/home.html", context)


@require_safe
def explore(request):
    return render(request, "hub/explore.html", {"sections": explore_sections(user=request.user)})


@require_safe
def search(request):
    filters = search_filters(request.GET)
    results = repository_search(user=request.user, **filters)
    page = Paginator(results, SEARCH_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        **filters,
        "page": page,
        "ordering_choices": ORDERING_CHOICES,
        "filtered": bool(filters["official"] or filters["automated"]),
    }
    return render(request, "hub/search.html", context)
