"""AWS helpers: facts and pure logic about AWS services, shared by the platforms that run on AWS."""
