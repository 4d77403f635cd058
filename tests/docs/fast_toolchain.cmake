# Only for the README install test: the README's commands run as written, and this file (given
# through the CMAKE_TOOLCHAIN_FILE environment variable) makes their Release build compile fast.
# What the test proves is that the commands configure, build and install a usable package.
set(CMAKE_CXX_FLAGS_RELEASE_INIT "-O0")
set(CMAKE_UNITY_BUILD ON)
