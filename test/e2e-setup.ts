// Real brokers and databases answer in seconds, not milliseconds.
jest.setTimeout(120000);
