FROM scratch
COPY . /ctx/
