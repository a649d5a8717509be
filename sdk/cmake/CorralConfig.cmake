# find_package(Corral): the handler SDK. Provides Corral::sdk (the headers of
# <corral/handler.h> and <corral/handler.hpp>) and corral_add_handler(NAME SOURCES...), which
# builds NAME.so for `corralctl start ... --handler NAME.so`.
include(${CMAKE_CURRENT_LIST_DIR}/CorralTargets.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/CorralHandler.cmake)
