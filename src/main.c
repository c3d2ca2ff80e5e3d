/* vibed: a team workspace server. See README.md and `vibed --help`. */
#include "app/vb_app.h"
#include "app/vb_config.h"

int main(int argc, char **argv)
{
    vb_config cfg;
    int rc = vb_config_load(&cfg, argc, argv);
    if (rc > 0) return 0;
    if (rc < 0) return 2;
    return vb_app_main(&cfg);
}
