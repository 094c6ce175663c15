# vq-gate, the staff program at a fast-lane entrance. Everything but main() is the static
# library vqgate, so tests/test_gate.c tests the state machine, the journal and the screens
# without starting the program (and starts the program itself for the end-to-end tests).
add_library(vqgate STATIC
  ${CMAKE_CURRENT_SOURCE_DIR}/gate_state.c
  ${CMAKE_CURRENT_SOURCE_DIR}/gate_journal.c
  ${CMAKE_CURRENT_SOURCE_DIR}/gate_render.c
  ${CMAKE_CURRENT_SOURCE_DIR}/gate_audio.c)
target_include_directories(vqgate PUBLIC ${CMAKE_SOURCE_DIR})
target_link_libraries(vqgate PUBLIC vqui vqclient vqbus vqcore PkgConfig::CJSON
                      PkgConfig::SODIUM m)

add_executable(vq-gate ${CMAKE_CURRENT_SOURCE_DIR}/gate_main.c)
target_compile_definitions(vq-gate PRIVATE VQ_ASSETS_DIR="${CMAKE_SOURCE_DIR}/assets")
target_link_libraries(vq-gate PRIVATE vqgate vqui vqclient vqbus vqcore)
