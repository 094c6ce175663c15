# vq-kiosk, the visitors' program. Everything but main is the kiosk library, so
# tests/test_kiosk.c drives the same state machine, layout and spool the program runs.
pkg_check_modules(KIOSK_PNG REQUIRED IMPORTED_TARGET libpng)

add_library(vqkiosk STATIC
  ${CMAKE_CURRENT_LIST_DIR}/kiosk_state.c
  ${CMAKE_CURRENT_LIST_DIR}/kiosk_layout.c
  ${CMAKE_CURRENT_LIST_DIR}/kiosk_spool.c
  ${CMAKE_CURRENT_LIST_DIR}/kiosk_voice.c)
target_include_directories(vqkiosk PUBLIC ${CMAKE_SOURCE_DIR})
target_link_libraries(vqkiosk PUBLIC vqui vqclient vqbus vqcore PkgConfig::CJSON
  PkgConfig::SODIUM PRIVATE PkgConfig::KIOSK_PNG)

add_executable(vq-kiosk ${CMAKE_CURRENT_LIST_DIR}/kiosk_main.c)
# Where translations are found without --i18n: the source tree's, so a build runs as is.
target_compile_definitions(vq-kiosk PRIVATE VQ_KIOSK_I18N_DIR="${CMAKE_SOURCE_DIR}/assets/i18n")
target_link_libraries(vq-kiosk PRIVATE vqkiosk vqspeech vqui vqclient vqbus vqcore)
