from twisted.application.service import ServiceMaker

ftps3 = ServiceMaker(
    "twisted-ftps3", "twisted_ftps3.tap", "An FTPS server whose files live in S3.", "ftps3"
)
