/* The query schema of the lists that take only a page (see vb_routes.h). */
#include "app/vb_routes.h"

static const vb_field f_page[] = {
    VB_ROUTES_PAGE_FIELDS,
};
const vb_schema vb_routes_page = VB_SCHEMA(f_page);
