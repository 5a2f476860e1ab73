/* glycotrial plugin ABI version. A plugin compiled against one ABI version
 * is accepted only by a glycotrial with the same major ABI. Bump
 * GLYCOTRIAL_PLUGIN_ABI when a struct in plugin_api.h changes layout; add a
 * new _v2 struct rather than changing a _v1 one. */
#ifndef GLYCOTRIAL_VERSION_H
#define GLYCOTRIAL_VERSION_H

#define GLYCOTRIAL_VERSION_MAJOR 0
#define GLYCOTRIAL_VERSION_MINOR 1
#define GLYCOTRIAL_VERSION_PATCH 0
#define GLYCOTRIAL_VERSION_STRING "0.1.0"
#define GLYCOTRIAL_PLUGIN_ABI 1

#endif
